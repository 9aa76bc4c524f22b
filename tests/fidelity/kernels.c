/* Reference kernels for the fidelity suite (tests/host/fidelity.test.ts).
 * Listings: arm-none-eabi-gcc -O2 -mcpu=cortex-m4 -mthumb -S (see kernels.s);
 * the hand-derived cycle counts are in README.md beside them. */
#include <stdint.h>

uint32_t crc32(const uint8_t *data, uint32_t len, uint32_t crc) {
  crc = ~crc;
  for (uint32_t i = 0; i < len; i++) {
    crc ^= data[i];
    for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

uint32_t count(uint32_t n, uint32_t seed) {
  uint32_t x = seed;
  for (uint32_t i = 0; i < n; i++) x += i;
  return x;
}

void copy_words(uint32_t *dst, const uint32_t *src, uint32_t words) {
  for (uint32_t i = 0; i < words; i++) dst[i] = src[i];
}

float dot(const float *a, const float *b, uint32_t n) {
  float s = 0.0f;
  for (uint32_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

void insertion_sort(uint32_t *a, uint32_t n) {
  for (uint32_t i = 1; i < n; i++) {
    uint32_t v = a[i];
    uint32_t j = i;
    while (j > 0 && a[j - 1] > v) { a[j] = a[j - 1]; j--; }
    a[j] = v;
  }
}

void fir_q15(const int16_t *x, const int16_t *h, int16_t *y, uint32_t n, uint32_t taps) {
  for (uint32_t i = 0; i < n; i++) {
    int32_t acc = 0;
    for (uint32_t k = 0; k < taps; k++) acc += (int32_t)x[i + k] * (int32_t)h[k];
    y[i] = (int16_t)(acc >> 15);
  }
}

uint32_t format_u32(uint32_t v, char *out) {
  char buf[10];
  uint32_t n = 0;
  do { buf[n++] = (char)('0' + v % 10u); v /= 10u; } while (v != 0);
  for (uint32_t i = 0; i < n; i++) out[i] = buf[n - 1 - i];
  return n;
}
