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
