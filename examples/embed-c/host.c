/*
 * A HopRT host in C: a firmware turned into C by wasm2c (Debian's wabt)
 * runs natively. It boots the firmware, runs it for the cycles given,
 * prints its console on stdout and the final cycle on stderr, following
 * docs/abi.md: stop reasons, the acknowledge step, fault recovery, and
 * rings checked before they are trusted.
 *
 *   ./hoprt-c <cycles>
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wasm-rt-impl.h"
#include "firmware.h"

#define F(name) Z_firmwareZ_##name
static Z_firmware_instance_t fw;
static uint8_t *mem;
static uint64_t mem_size;
static uint32_t trace_read, console_read;

static void die(const char *why, uint32_t a, uint32_t b) {
  fprintf(stderr, "hoprt-c: %s (%u, %u)\n", why, a, b);
  exit(3);
}
static uint32_t u32_at(uint64_t at) {
  if (at + 4 > mem_size) die("read outside memory", (uint32_t)at, 4);
  uint32_t v; memcpy(&v, mem + at, 4); return v;
}

/* UTF-16LE code units to UTF-8 on stdout. */
static void put_utf16(const uint8_t *base, uint32_t ring, uint32_t cap, uint32_t from, uint32_t bytes) {
  for (uint32_t i = 0; i + 1 < bytes; i += 2) {
    uint32_t c = base[(from + i) % cap] | (base[(from + i + 1) % cap] << 8);
    if (c >= 0xD800 && c < 0xDC00 && i + 3 < bytes) {
      uint32_t d = base[(from + i + 2) % cap] | (base[(from + i + 3) % cap] << 8);
      if (d >= 0xDC00 && d < 0xE000) { c = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00); i += 2; }
    }
    if (c < 0x80) putchar((int)c);
    else if (c < 0x800) { putchar(0xC0 | (c >> 6)); putchar(0x80 | (c & 63)); }
    else if (c < 0x10000) { putchar(0xE0 | (c >> 12)); putchar(0x80 | ((c >> 6) & 63)); putchar(0x80 | (c & 63)); }
    else { putchar(0xF0 | (c >> 18)); putchar(0x80 | ((c >> 12) & 63)); putchar(0x80 | ((c >> 6) & 63)); putchar(0x80 | (c & 63)); }
  }
  (void)ring;
}

/* Read what the probe buffered (docs/abi.md "Reading"), then acknowledge it. */
static void drain(void) {
  mem = fw.w2c_memory.data; mem_size = fw.w2c_memory.size;
  uint32_t tb = F(hoprt_trace_base)(&fw), cb = F(hoprt_console_base)(&fw);
  uint32_t twritten = u32_at(tb), tcap = u32_at(tb + 8);
  if (tcap == 0 || (uint64_t)tb + 16 + (uint64_t)tcap * 24 > mem_size) die("trace ring: bad capacity", tcap, tb);
  uint32_t lost_now = u32_at(tb + 12);
  static uint32_t lost_before;
  if (twritten - trace_read > tcap + (lost_now - lost_before)) die("trace ring: counter jumped", trace_read, twritten);
  lost_before = lost_now;
  trace_read = twritten; /* this host prints no trace; a full host decodes the 24-byte records here */

  uint32_t cwritten = u32_at(cb), ccap = u32_at(cb + 8);
  if (ccap == 0 || (uint64_t)cb + 16 + ccap > mem_size) die("console ring: bad capacity", ccap, cb);
  uint32_t left = cwritten - console_read, p = console_read;
  if (left > ccap) die("console ring: counter jumped", console_read, cwritten);
  const uint8_t *data = mem + cb + 16;
  while (left > 0) {
    if (left < 8) die("console ring: record cut short", p, left);
    uint8_t kind = data[p % ccap];
    uint32_t length = data[(p + 4) % ccap] | data[(p + 5) % ccap] << 8 | data[(p + 6) % ccap] << 16 | (uint32_t)data[(p + 7) % ccap] << 24;
    if (kind < 1 || kind > 5 || length > left - 8 || (length & 1)) die("console ring: bad record", kind, length);
    if (kind == 1 || kind == 5) { /* a line, or a piece of a long one */
      put_utf16(data, cb, ccap, p + 8, length);
      if (kind == 1) putchar('\n');
    } else if (kind == 3) { /* a panic report */
      fputs("panic: ", stderr);
    }
    p += 8 + length; left -= 8 + length;
  }
  console_read = cwritten;
  F(hoprt_probe_ack)(&fw, twritten, cwritten);
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: %s <cycles>\n", argv[0]); return 1; }
  uint64_t cycles = strtoull(argv[1], NULL, 10);
  wasm_rt_init();
  Z_firmware_init_module();
  Z_firmware_instantiate(&fw);
  if (F(hoprt_abi_version)(&fw) != 1) { fprintf(stderr, "hoprt-c: ABI version %u, this host knows 1\n", F(hoprt_abi_version)(&fw)); return 1; }
  if (wasm_rt_impl_try() != 0) { drain(); fprintf(stderr, "hoprt-c: the firmware failed while booting\n"); return 2; }
  F(hoprt_start)(&fw);
  drain();
  uint64_t end = F(hoprt_cycles)(&fw) + cycles;
  while (F(hoprt_cycles)(&fw) < end) {
    uint32_t reason;
    if (wasm_rt_impl_try() != 0) {
      /* A trap: the context that ran panics; the machine goes on (docs/abi.md "Faults"). */
      F(hoprt_asyncify_reset)(&fw);
      uint32_t after = F(hoprt_fault)(&fw);
      drain();
      if (after == 4 || after == 5) break;
      continue;
    }
    reason = F(hoprt_run)(&fw, end - F(hoprt_cycles)(&fw));
    drain();
    if (reason == 3 || reason == 4 || reason == 5) { fprintf(stderr, "hoprt-c: stopped (%u)\n", reason); break; }
  }
  fflush(stdout);
  fprintf(stderr, "cycles %llu\n", (unsigned long long)F(hoprt_cycles)(&fw));
  Z_firmware_free(&fw);
  wasm_rt_free();
  return 0;
}
