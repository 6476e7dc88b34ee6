// mtljs native kernels: an optional Node-API addon that computes the hot training kernels of the wasm
// backend (matrix products, 2-D convolutions and their gradients, a fused Adam update) with AVX2/FMA
// code and a small persistent thread pool, IN PLACE on the wasm heap: every entry point takes the
// heap (a Uint8Array over WebAssembly.Memory's buffer, or an ArrayBuffer) and byte offsets of float32
// arrays in it. Built at first use by src/engine/native/build.ts (plain node_api.h, no node-addon-api):
//   g++ -O3 -fPIC -shared -std=c++17 -pthread -ffp-contract=off -fno-math-errno -I<node>/include/node
// The file is compiled for baseline x86-64 (or any other target); the AVX2/FMA micro-kernel is
// compiled with a target attribute and chosen at run time (__builtin_cpu_supports), with a portable
// scalar micro-kernel otherwise.
//
// GEMM: BLIS-style loops (NC/KC/MC blocks, A packed in MR-row panels, B in NR-column panels, a 6x16
// micro-kernel with 12 ymm accumulators). Packing is abstract (APacker/BPacker), so a convolution packs
// its im2col matrix straight from the NHWC input without materialising it.
// Threads: C is split into disjoint row (or column) ranges, each computed independently by one thread
// with its own packing buffers; no synchronisation inside a product.

#include <node_api.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#define MTL_X86 1
#include <immintrin.h>
#endif
#if defined(__linux__)
#include <sched.h>
#endif

namespace {

constexpr int MR = 6;
constexpr int NR = 16;
constexpr int MC = 144;   // multiple of MR
constexpr int KC = 256;
constexpr int NC = 3072;  // multiple of NR

// ------------------------------------------------------------------------------------------------
// Micro-kernels: C[mr x nr] = alpha * A_panel * B_panel + beta * C (beta == 0: C is not read).
// a: kc x MR (packed, k-major), b: kc x NR (packed, 32-byte aligned).

using MicroKernel = void (*)(int kc, const float* a, const float* b, float* c, long ldc, float alpha, float beta, int mr, int nr);

inline void store_tile(const float* t, float* c, long ldc, float alpha, float beta, int mr, int nr) {
  for (int r = 0; r < mr; ++r) {
    float* cr = c + r * ldc;
    const float* tr = t + r * NR;
    if (beta == 0.f) {
      for (int j = 0; j < nr; ++j) cr[j] = alpha * tr[j];
    } else {
      for (int j = 0; j < nr; ++j) cr[j] = alpha * tr[j] + beta * cr[j];
    }
  }
}

void kernel_scalar(int kc, const float* a, const float* b, float* c, long ldc, float alpha, float beta, int mr, int nr) {
  float t[MR * NR];
  std::memset(t, 0, sizeof(t));
  for (int k = 0; k < kc; ++k) {
    for (int r = 0; r < MR; ++r) {
      const float ar = a[r];
      float* tr = t + r * NR;
      for (int j = 0; j < NR; ++j) tr[j] += ar * b[j];
    }
    a += MR;
    b += NR;
  }
  store_tile(t, c, ldc, alpha, beta, mr, nr);
}

#ifdef MTL_X86
__attribute__((target("avx2,fma"))) void kernel_avx2(int kc, const float* __restrict a, const float* __restrict b, float* c, long ldc,
                                                     float alpha, float beta, int mr, int nr) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
#pragma GCC unroll 4
  for (int k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
    __m256 av;
    av = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(av, b0, c00);
    c01 = _mm256_fmadd_ps(av, b1, c01);
    av = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(av, b0, c10);
    c11 = _mm256_fmadd_ps(av, b1, c11);
    av = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(av, b0, c20);
    c21 = _mm256_fmadd_ps(av, b1, c21);
    av = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(av, b0, c30);
    c31 = _mm256_fmadd_ps(av, b1, c31);
    av = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(av, b0, c40);
    c41 = _mm256_fmadd_ps(av, b1, c41);
    av = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(av, b0, c50);
    c51 = _mm256_fmadd_ps(av, b1, c51);
    a += MR;
    b += NR;
  }
  if (mr == MR && nr == NR) {
    const __m256 va = _mm256_set1_ps(alpha);
    const __m256 acc[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
    if (beta == 0.f) {
      for (int r = 0; r < MR; ++r) {
        float* cr = c + r * ldc;
        _mm256_storeu_ps(cr, _mm256_mul_ps(va, acc[2 * r]));
        _mm256_storeu_ps(cr + 8, _mm256_mul_ps(va, acc[2 * r + 1]));
      }
    } else {
      const __m256 vb = _mm256_set1_ps(beta);
      for (int r = 0; r < MR; ++r) {
        float* cr = c + r * ldc;
        _mm256_storeu_ps(cr, _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr), _mm256_mul_ps(va, acc[2 * r])));
        _mm256_storeu_ps(cr + 8, _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr + 8), _mm256_mul_ps(va, acc[2 * r + 1])));
      }
    }
  } else {
    alignas(32) float t[MR * NR];
    _mm256_store_ps(t + 0, c00);
    _mm256_store_ps(t + 8, c01);
    _mm256_store_ps(t + 16, c10);
    _mm256_store_ps(t + 24, c11);
    _mm256_store_ps(t + 32, c20);
    _mm256_store_ps(t + 40, c21);
    _mm256_store_ps(t + 48, c30);
    _mm256_store_ps(t + 56, c31);
    _mm256_store_ps(t + 64, c40);
    _mm256_store_ps(t + 72, c41);
    _mm256_store_ps(t + 80, c50);
    _mm256_store_ps(t + 88, c51);
    store_tile(t, c, ldc, alpha, beta, mr, nr);
  }
}
#endif

// Indirect micro-kernels (convolutions without an im2col copy): A's rows are read through a pointer
// per (tap, row): ptrs[t * MR + r] points at `cn` contiguous values (channels c0.. of that tap for
// that output row), or at zeros. b: the packed B rows of these taps and channels (ntaps * cn x NR).
using IndirectKernel = void (*)(int ntaps, int c0, int cn, const float* const* ptrs, const float* b, float* c, long ldc, float beta, int mr, int nr);

void ikernel_scalar(int ntaps, int c0, int cn, const float* const* ptrs, const float* b, float* c, long ldc, float beta, int mr, int nr) {
  float t[MR * NR];
  std::memset(t, 0, sizeof(t));
  for (int tap = 0; tap < ntaps; ++tap) {
    const float* const* pr = ptrs + tap * MR;
    for (int q = 0; q < cn; ++q) {
      for (int r = 0; r < MR; ++r) {
        const float ar = pr[r][c0 + q];
        float* tr = t + r * NR;
        for (int j = 0; j < NR; ++j) tr[j] += ar * b[j];
      }
      b += NR;
    }
  }
  store_tile(t, c, ldc, 1.f, beta, mr, nr);
}

#ifdef MTL_X86
__attribute__((target("avx2,fma"))) void ikernel_avx2(int ntaps, int c0, int cn, const float* const* ptrs, const float* __restrict b, float* c, long ldc,
                                                      float beta, int mr, int nr) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int tap = 0; tap < ntaps; ++tap) {
    const float* const* pr = ptrs + tap * MR;
    const float* a0 = pr[0] + c0;
    const float* a1 = pr[1] + c0;
    const float* a2 = pr[2] + c0;
    const float* a3 = pr[3] + c0;
    const float* a4 = pr[4] + c0;
    const float* a5 = pr[5] + c0;
#pragma GCC unroll 4
    for (int q = 0; q < cn; ++q) {
      const __m256 b0 = _mm256_load_ps(b);
      const __m256 b1 = _mm256_load_ps(b + 8);
      __m256 av;
      av = _mm256_broadcast_ss(a0 + q);
      c00 = _mm256_fmadd_ps(av, b0, c00);
      c01 = _mm256_fmadd_ps(av, b1, c01);
      av = _mm256_broadcast_ss(a1 + q);
      c10 = _mm256_fmadd_ps(av, b0, c10);
      c11 = _mm256_fmadd_ps(av, b1, c11);
      av = _mm256_broadcast_ss(a2 + q);
      c20 = _mm256_fmadd_ps(av, b0, c20);
      c21 = _mm256_fmadd_ps(av, b1, c21);
      av = _mm256_broadcast_ss(a3 + q);
      c30 = _mm256_fmadd_ps(av, b0, c30);
      c31 = _mm256_fmadd_ps(av, b1, c31);
      av = _mm256_broadcast_ss(a4 + q);
      c40 = _mm256_fmadd_ps(av, b0, c40);
      c41 = _mm256_fmadd_ps(av, b1, c41);
      av = _mm256_broadcast_ss(a5 + q);
      c50 = _mm256_fmadd_ps(av, b0, c50);
      c51 = _mm256_fmadd_ps(av, b1, c51);
      b += NR;
    }
  }
  if (mr == MR && nr == NR) {
    const __m256 acc[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
    for (int r = 0; r < MR; ++r) {
      float* cr = c + r * ldc;
      if (beta == 0.f) {
        _mm256_storeu_ps(cr, acc[2 * r]);
        _mm256_storeu_ps(cr + 8, acc[2 * r + 1]);
      } else {
        _mm256_storeu_ps(cr, _mm256_add_ps(acc[2 * r], _mm256_loadu_ps(cr)));
        _mm256_storeu_ps(cr + 8, _mm256_add_ps(acc[2 * r + 1], _mm256_loadu_ps(cr + 8)));
      }
    }
  } else {
    alignas(32) float t[MR * NR];
    _mm256_store_ps(t + 0, c00);
    _mm256_store_ps(t + 8, c01);
    _mm256_store_ps(t + 16, c10);
    _mm256_store_ps(t + 24, c11);
    _mm256_store_ps(t + 32, c20);
    _mm256_store_ps(t + 40, c21);
    _mm256_store_ps(t + 48, c30);
    _mm256_store_ps(t + 56, c31);
    _mm256_store_ps(t + 64, c40);
    _mm256_store_ps(t + 72, c41);
    _mm256_store_ps(t + 80, c50);
    _mm256_store_ps(t + 88, c51);
    store_tile(t, c, ldc, 1.f, beta, mr, nr);
  }
}
#endif

#ifdef MTL_X86
// AVX-512 twin-panel micro-kernels: two consecutive MR-row panels of packed A (12 rows) times one
// NR = 16 column panel of B, one zmm accumulator per row (12 independent FMA chains). Packing, blocking
// and the order of every sum are those of the AVX2 kernels (each C element accumulates its products
// in k order in one lane, with FMA), and the stores below repeat theirs per 6-row half (a full 6 x 16
// half as the AVX2 kernel's full tile, a partial one through store_tile), so the results are the same
// bit for bit; only more of them per instruction. Chosen at run time when the CPU has AVX-512F
// (MTL_NATIVE_NO_AVX512=1: the AVX2 kernels only).
using TwinKernel = void (*)(int kc, const float* a0, const float* a1, const float* b, float* c, long ldc, float alpha, float beta, int mr, int nr);
using TwinIndirectKernel = void (*)(int ntaps, int c0, int cn, const float* const* ptrs0, const float* const* ptrs1, const float* b, float* c, long ldc,
                                    float beta, int mr, int nr);

// Stores 12 accumulator rows as the AVX2 kernel stores two 6 x 16 tiles: C = alpha acc + beta C.
__attribute__((target("avx512f"))) inline void store_twin(const __m512* acc, float* c, long ldc, float alpha, float beta, int mr, int nr, bool indirect) {
  for (int h = 0; h < 2; ++h) {
    const int mh = std::min(MR, mr - h * MR);
    if (mh <= 0) break;
    float* ch = c + (long)h * MR * ldc;
    const __m512* ah = acc + h * MR;
    if (mh == MR && nr == NR) {
      if (indirect) {
        for (int r = 0; r < MR; ++r) {
          float* cr = ch + r * ldc;
          _mm512_storeu_ps(cr, beta == 0.f ? ah[r] : _mm512_add_ps(ah[r], _mm512_loadu_ps(cr)));
        }
      } else {
        const __m512 va = _mm512_set1_ps(alpha);
        const __m512 vb = _mm512_set1_ps(beta);
        for (int r = 0; r < MR; ++r) {
          float* cr = ch + r * ldc;
          _mm512_storeu_ps(cr, beta == 0.f ? _mm512_mul_ps(va, ah[r]) : _mm512_fmadd_ps(vb, _mm512_loadu_ps(cr), _mm512_mul_ps(va, ah[r])));
        }
      }
    } else {
      alignas(64) float t[MR * NR];
      for (int r = 0; r < MR; ++r) _mm512_store_ps(t + r * NR, ah[r]);
      store_tile(t, ch, ldc, indirect ? 1.f : alpha, beta, mh, nr);
    }
  }
}

__attribute__((target("avx512f"))) void kernel_twin_avx512(int kc, const float* __restrict a0, const float* __restrict a1, const float* __restrict b, float* c,
                                                          long ldc, float alpha, float beta, int mr, int nr) {
  __m512 acc[2 * MR];
  for (int r = 0; r < 2 * MR; ++r) acc[r] = _mm512_setzero_ps();
#pragma GCC unroll 2
  for (int k = 0; k < kc; ++k) {
    const __m512 bv = _mm512_loadu_ps(b);
#pragma GCC unroll 6
    for (int r = 0; r < MR; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(a0[r]), bv, acc[r]);
#pragma GCC unroll 6
    for (int r = 0; r < MR; ++r) acc[MR + r] = _mm512_fmadd_ps(_mm512_set1_ps(a1[r]), bv, acc[MR + r]);
    a0 += MR;
    a1 += MR;
    b += NR;
  }
  store_twin(acc, c, ldc, alpha, beta, mr, nr, false);
}

__attribute__((target("avx512f"))) void ikernel_twin_avx512(int ntaps, int c0, int cn, const float* const* ptrs0, const float* const* ptrs1,
                                                           const float* __restrict b, float* c, long ldc, float beta, int mr, int nr) {
  __m512 acc[2 * MR];
  for (int r = 0; r < 2 * MR; ++r) acc[r] = _mm512_setzero_ps();
  for (int tap = 0; tap < ntaps; ++tap) {
    const float* a[2 * MR];
    for (int r = 0; r < MR; ++r) {
      a[r] = ptrs0[tap * MR + r] + c0;
      a[MR + r] = ptrs1[tap * MR + r] + c0;
    }
#pragma GCC unroll 2
    for (int q = 0; q < cn; ++q) {
      const __m512 bv = _mm512_loadu_ps(b);
#pragma GCC unroll 12
      for (int r = 0; r < 2 * MR; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r][q]), bv, acc[r]);
      b += NR;
    }
  }
  store_twin(acc, c, ldc, 1.f, beta, mr, nr, true);
}
#endif

bool g_avx2 = false;
MicroKernel g_kernel = kernel_scalar;
IndirectKernel g_ikernel = ikernel_scalar;
#ifdef MTL_X86
TwinKernel g_twin = nullptr;               // AVX-512: 12-row kernels (nullptr: 6-row kernels only)
TwinIndirectKernel g_itwin = nullptr;
#endif

void select_kernel() {
#ifdef MTL_X86
  __builtin_cpu_init();
  g_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (std::getenv("MTL_NATIVE_NO_AVX2") != nullptr) g_avx2 = false;  // for testing the scalar path
  g_kernel = g_avx2 ? kernel_avx2 : kernel_scalar;
  g_ikernel = g_avx2 ? ikernel_avx2 : ikernel_scalar;
  const bool avx512 = g_avx2 && __builtin_cpu_supports("avx512f") && std::getenv("MTL_NATIVE_NO_AVX512") == nullptr;
  g_twin = avx512 ? kernel_twin_avx512 : nullptr;
  g_itwin = avx512 ? ikernel_twin_avx512 : nullptr;
#endif
}

// ------------------------------------------------------------------------------------------------
// Packing. A block (rows i0..i0+mc, depth p0..p0+kc) -> ceil(mc/MR) panels of kc x MR;
// B block (depth p0..p0+kc, cols j0..j0+nc) -> ceil(nc/NR) panels of kc x NR; partial panels zero-padded.

struct APacker {
  virtual ~APacker() = default;
  virtual void pack(float* dst, int i0, int mc, int p0, int kc) const = 0;
};
struct BPacker {
  virtual ~BPacker() = default;
  virtual void pack(float* dst, int p0, int kc, int j0, int nc) const = 0;
};

// A(i, p) = a[i * lda + p]
struct ARowMajor final : APacker {
  const float* a;
  long lda;
  ARowMajor(const float* a_, long lda_) : a(a_), lda(lda_) {}
  void pack(float* dst, int i0, int mc, int p0, int kc) const override {
    for (int ir = 0; ir < mc; ir += MR) {
      const int mr = std::min(MR, mc - ir);
      if (mr == MR) {
        const float* s0 = a + (long)(i0 + ir) * lda + p0;
        const float* s1 = s0 + lda;
        const float* s2 = s1 + lda;
        const float* s3 = s2 + lda;
        const float* s4 = s3 + lda;
        const float* s5 = s4 + lda;
        for (int k = 0; k < kc; ++k) {
          float* d = dst + k * MR;
          d[0] = s0[k];
          d[1] = s1[k];
          d[2] = s2[k];
          d[3] = s3[k];
          d[4] = s4[k];
          d[5] = s5[k];
        }
      } else {
        for (int r = 0; r < MR; ++r) {
          if (r < mr) {
            const float* s = a + (long)(i0 + ir + r) * lda + p0;
            for (int k = 0; k < kc; ++k) dst[k * MR + r] = s[k];
          } else {
            for (int k = 0; k < kc; ++k) dst[k * MR + r] = 0.f;
          }
        }
      }
      dst += (long)kc * MR;
    }
  }
};

// A(i, p) = a[p * lda + i]   (A stored transposed)
struct AColMajor final : APacker {
  const float* a;
  long lda;
  AColMajor(const float* a_, long lda_) : a(a_), lda(lda_) {}
  void pack(float* dst, int i0, int mc, int p0, int kc) const override {
    for (int ir = 0; ir < mc; ir += MR) {
      const int mr = std::min(MR, mc - ir);
      const float* s = a + (long)p0 * lda + i0 + ir;
      if (mr == MR) {
        for (int k = 0; k < kc; ++k, s += lda) {
          float* d = dst + k * MR;
          d[0] = s[0];
          d[1] = s[1];
          d[2] = s[2];
          d[3] = s[3];
          d[4] = s[4];
          d[5] = s[5];
        }
      } else {
        for (int k = 0; k < kc; ++k, s += lda) {
          float* d = dst + k * MR;
          int r = 0;
          for (; r < mr; ++r) d[r] = s[r];
          for (; r < MR; ++r) d[r] = 0.f;
        }
      }
      dst += (long)kc * MR;
    }
  }
};

// B(p, j) = b[p * ldb + j]
struct BRowMajor final : BPacker {
  const float* b;
  long ldb;
  BRowMajor(const float* b_, long ldb_) : b(b_), ldb(ldb_) {}
  void pack(float* dst, int p0, int kc, int j0, int nc) const override {
    for (int jr = 0; jr < nc; jr += NR) {
      const int nr = std::min(NR, nc - jr);
      if (nr == NR) {
        for (int k = 0; k < kc; ++k) std::memcpy(dst + k * NR, b + (long)(p0 + k) * ldb + j0 + jr, NR * sizeof(float));
      } else {
        for (int k = 0; k < kc; ++k) {
          const float* s = b + (long)(p0 + k) * ldb + j0 + jr;
          float* d = dst + k * NR;
          int j = 0;
          for (; j < nr; ++j) d[j] = s[j];
          for (; j < NR; ++j) d[j] = 0.f;
        }
      }
      dst += (long)kc * NR;
    }
  }
};

// B(p, j) = b[j * ldb + p]   (B stored transposed)
struct BColMajor final : BPacker {
  const float* b;
  long ldb;
  BColMajor(const float* b_, long ldb_) : b(b_), ldb(ldb_) {}
  void pack(float* dst, int p0, int kc, int j0, int nc) const override {
    for (int jr = 0; jr < nc; jr += NR) {
      const int nr = std::min(NR, nc - jr);
      // 4 columns at a time keeps the reads streaming and the writes within one panel.
      for (int j = 0; j < NR; ++j) {
        float* d = dst + j;
        if (j < nr) {
          const float* s = b + (long)(j0 + jr + j) * ldb + p0;
          for (int k = 0; k < kc; ++k) d[k * NR] = s[k];
        } else {
          for (int k = 0; k < kc; ++k) d[k * NR] = 0.f;
        }
      }
      dst += (long)kc * NR;
    }
  }
};

// ------------------------------------------------------------------------------------------------
// Convolution geometry (NHWC input [B,H,W,Ci], filter [KH,KW,Ci,Co], output [B,OH,OW,Co]):
//   y[b,oh,ow,co] = sum_{kh,kw,ci} x[b, oh*sh + kh*dh - pt, ow*sw + kw*dw - pl, ci] * w[kh,kw,ci,co]

struct Geo {
  int B, H, W, Ci, KH, KW, Co, OH, OW, sh, sw, dh, dw, pt, pl;
};

// The im2col matrix as A: A(i = pixel (b,oh,ow), p = (kh,kw,ci)).
struct AIm2col final : APacker {
  const float* x;
  Geo g;
  AIm2col(const float* x_, const Geo& g_) : x(x_), g(g_) {}
  void pack(float* dst, int i0, int mc, int p0, int kc) const override {
    const int ohw = g.OH * g.OW;
    const int kwci = g.KW * g.Ci;
    // Offset of each depth index p0+k from a pixel's window origin (kc <= KC).
    long off[KC];
    {
      int kh = p0 / kwci;
      const int rem = p0 - kh * kwci;
      int kw = rem / g.Ci;
      int ci = rem - kw * g.Ci;
      for (int k = 0; k < kc; ++k) {
        off[k] = ((long)kh * g.dh * g.W + (long)kw * g.dw) * g.Ci + ci;
        if (++ci == g.Ci) {
          ci = 0;
          if (++kw == g.KW) {
            kw = 0;
            ++kh;
          }
        }
      }
    }
    const int spanH = (g.KH - 1) * g.dh;
    const int spanW = (g.KW - 1) * g.dw;
    for (int ir = 0; ir < mc; ir += MR) {
      const int mr = std::min(MR, mc - ir);
      const float* base[MR];
      bool interior[MR];
      int ih0s[MR], iw0s[MR];
      bool all = mr == MR;
      for (int r = 0; r < mr; ++r) {
        const int i = i0 + ir + r;
        const int b = i / ohw;
        const int rem = i - b * ohw;
        const int oh = rem / g.OW;
        const int ow = rem - oh * g.OW;
        ih0s[r] = oh * g.sh - g.pt;
        iw0s[r] = ow * g.sw - g.pl;
        interior[r] = ih0s[r] >= 0 && ih0s[r] + spanH < g.H && iw0s[r] >= 0 && iw0s[r] + spanW < g.W;
        all = all && interior[r];
        base[r] = x + (long)b * g.H * g.W * g.Ci;  // the image; the window origin is added below when interior
        if (interior[r]) base[r] += ((long)ih0s[r] * g.W + iw0s[r]) * g.Ci;
      }
      if (all) {
        const float *b0 = base[0], *b1 = base[1], *b2 = base[2], *b3 = base[3], *b4 = base[4], *b5 = base[5];
        for (int k = 0; k < kc; ++k) {
          const long o = off[k];
          float* d = dst + k * MR;
          d[0] = b0[o];
          d[1] = b1[o];
          d[2] = b2[o];
          d[3] = b3[o];
          d[4] = b4[o];
          d[5] = b5[o];
        }
      } else {
        for (int r = 0; r < MR; ++r) {
          float* d = dst + r;
          if (r >= mr) {
            for (int k = 0; k < kc; ++k) d[k * MR] = 0.f;
          } else if (interior[r]) {
            for (int k = 0; k < kc; ++k) d[k * MR] = base[r][off[k]];
          } else {
            // A border pixel: walk (kh, kw, ci) with bounds checks.
            int kh = p0 / kwci;
            const int rem2 = p0 - kh * kwci;
            int kw = rem2 / g.Ci;
            int ci = rem2 - kw * g.Ci;
            int k = 0;
            while (k < kc) {
              const int run = std::min(g.Ci - ci, kc - k);
              const int ih = ih0s[r] + kh * g.dh;
              const int iw = iw0s[r] + kw * g.dw;
              if (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W) {
                const float* src = base[r] + ((long)ih * g.W + iw) * g.Ci + ci;
                for (int q = 0; q < run; ++q) d[(k + q) * MR] = src[q];
              } else {
                for (int q = 0; q < run; ++q) d[(k + q) * MR] = 0.f;
              }
              k += run;
              ci = 0;
              if (++kw == g.KW) {
                kw = 0;
                ++kh;
              }
            }
          }
        }
      }
      dst += (long)kc * MR;
    }
  }
};

// The transposed im2col matrix as A: A(i = (kh,kw,ci), p = pixel (b,oh,ow)) (filter gradient).
struct AIm2colT final : APacker {
  const float* x;
  Geo g;
  AIm2colT(const float* x_, const Geo& g_) : x(x_), g(g_) {}
  void pack(float* dst, int i0, int mc, int p0, int kc) const override {
    const int kwci = g.KW * g.Ci;
    const long hwc = (long)g.H * g.W * g.Ci;
    for (int ir = 0; ir < mc; ir += MR) {
      const int mr = std::min(MR, mc - ir);
      long off[MR];
      int khd[MR], kwd[MR], cis[MR];
      for (int r = 0; r < mr; ++r) {
        const int i = i0 + ir + r;
        const int kh = i / kwci;
        const int rem = i - kh * kwci;
        const int kw = rem / g.Ci;
        const int ci = rem - kw * g.Ci;
        khd[r] = kh * g.dh;
        kwd[r] = kw * g.dw;
        cis[r] = ci;
        off[r] = ((long)khd[r] * g.W + kwd[r]) * g.Ci + ci;
      }
      const int spanH = (g.KH - 1) * g.dh;
      const int spanW = (g.KW - 1) * g.dw;
      int b = p0 / (g.OH * g.OW);
      int rem = p0 - b * g.OH * g.OW;
      int oh = rem / g.OW;
      int ow = rem - oh * g.OW;
      for (int k = 0; k < kc; ++k) {
        float* d = dst + k * MR;
        const int ih0 = oh * g.sh - g.pt;
        const int iw0 = ow * g.sw - g.pl;
        const float* xb = x + b * hwc;
        if (ih0 >= 0 && ih0 + spanH < g.H && iw0 >= 0 && iw0 + spanW < g.W) {
          const float* base = xb + ((long)ih0 * g.W + iw0) * g.Ci;
          for (int r = 0; r < mr; ++r) d[r] = base[off[r]];
        } else {
          for (int r = 0; r < mr; ++r) {
            const int ih = ih0 + khd[r];
            const int iw = iw0 + kwd[r];
            d[r] = (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W) ? xb[((long)ih * g.W + iw) * g.Ci + cis[r]] : 0.f;
          }
        }
        for (int r = mr; r < MR; ++r) d[r] = 0.f;
        if (++ow == g.OW) {
          ow = 0;
          if (++oh == g.OH) {
            oh = 0;
            ++b;
          }
        }
      }
      dst += (long)kc * MR;
    }
  }
};

// The im2col matrix as B: B(p = pixel (b,oh,ow), j = (kh,kw,ci)) (filter gradient, computed as
// dW^T = dy^T im2col: each packed element then serves Co multiply-adds, and NR consecutive j of one
// tap are NR contiguous floats of x).
struct BIm2col final : BPacker {
  const float* x;
  Geo g;
  BIm2col(const float* x_, const Geo& g_) : x(x_), g(g_) {}
  void pack(float* dst, int p0, int kc, int j0, int nc) const override {
    const int kwci = g.KW * g.Ci;
    const long hwc = (long)g.H * g.W * g.Ci;
    const int spanH = (g.KH - 1) * g.dh;
    const int spanW = (g.KW - 1) * g.dw;
    for (int jr = 0; jr < nc; jr += NR) {
      const int nr = std::min(NR, nc - jr);
      long off[NR];
      int khd[NR], kwd[NR], cis[NR];
      for (int j = 0; j < nr; ++j) {
        const int jj = j0 + jr + j;
        const int kh = jj / kwci;
        const int rem = jj - kh * kwci;
        const int kw = rem / g.Ci;
        cis[j] = rem - kw * g.Ci;
        khd[j] = kh * g.dh;
        kwd[j] = kw * g.dw;
        off[j] = ((long)khd[j] * g.W + kwd[j]) * g.Ci + cis[j];
      }
      bool contiguous = nr == NR;
      for (int j = 1; j < nr && contiguous; ++j) contiguous = off[j] == off[0] + j;
      int b = p0 / (g.OH * g.OW);
      int rem = p0 - b * g.OH * g.OW;
      int oh = rem / g.OW;
      int ow = rem - oh * g.OW;
      for (int k = 0; k < kc; ++k) {
        float* d = dst + k * NR;
        const int ih0 = oh * g.sh - g.pt;
        const int iw0 = ow * g.sw - g.pl;
        const float* xb = x + b * hwc;
        if (ih0 >= 0 && ih0 + spanH < g.H && iw0 >= 0 && iw0 + spanW < g.W) {
          const float* base = xb + ((long)ih0 * g.W + iw0) * g.Ci;
          if (contiguous) {
            std::memcpy(d, base + off[0], NR * sizeof(float));
          } else {
            int j = 0;
            for (; j < nr; ++j) d[j] = base[off[j]];
            for (; j < NR; ++j) d[j] = 0.f;
          }
        } else {
          int j = 0;
          for (; j < nr; ++j) {
            const int ih = ih0 + khd[j];
            const int iw = iw0 + kwd[j];
            d[j] = (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W) ? xb[((long)ih * g.W + iw) * g.Ci + cis[j]] : 0.f;
          }
          for (; j < NR; ++j) d[j] = 0.f;
        }
        if (++ow == g.OW) {
          ow = 0;
          if (++oh == g.OH) {
            oh = 0;
            ++b;
          }
        }
      }
      dst += (long)kc * NR;
    }
  }
};

// ------------------------------------------------------------------------------------------------
// Epilogue: bias along columns (length N, or 1) and an activation, applied to C rows/cols.

enum Act { ACT_LINEAR = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_PRELU = 3, ACT_LEAKYRELU = 4, ACT_SIGMOID = 5, ACT_ELU = 6 };

struct Epilogue {
  const float* bias = nullptr;
  int biasLen = 0;  // 0: none, 1: scalar, N: per column
  int act = ACT_LINEAR;
  float alpha = 0.f;
  bool active() const { return bias != nullptr || act != ACT_LINEAR; }
};

void apply_epilogue(const Epilogue& e, float* c, long ldc, int m0, int m1, int n0, int n1) {
  if (!e.active()) return;
  for (int i = m0; i < m1; ++i) {
    float* cr = c + (long)i * ldc;
    if (e.bias != nullptr) {
      if (e.biasLen == 1) {
        const float bv = e.bias[0];
        for (int j = n0; j < n1; ++j) cr[j] += bv;
      } else {
        for (int j = n0; j < n1; ++j) cr[j] += e.bias[j];
      }
    }
    switch (e.act) {
      case ACT_RELU:
        for (int j = n0; j < n1; ++j) cr[j] = cr[j] < 0.f ? 0.f : cr[j];
        break;
      case ACT_RELU6:
        for (int j = n0; j < n1; ++j) cr[j] = cr[j] < 0.f ? 0.f : (cr[j] > 6.f ? 6.f : cr[j]);
        break;
      case ACT_LEAKYRELU:
        for (int j = n0; j < n1; ++j) cr[j] = cr[j] < 0.f ? e.alpha * cr[j] : cr[j];
        break;
      case ACT_SIGMOID:
        for (int j = n0; j < n1; ++j) cr[j] = 1.f / (1.f + std::exp(-cr[j]));
        break;
      case ACT_ELU:
        for (int j = n0; j < n1; ++j) cr[j] = cr[j] >= 0.f ? cr[j] : std::expm1(cr[j]);
        break;
      default:
        break;
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Per-thread buffers.

float* aligned_floats(size_t n) {
  void* p = nullptr;
  if (posix_memalign(&p, 64, std::max<size_t>(n, 16) * sizeof(float)) != 0) return nullptr;
  return static_cast<float*>(p);
}

struct Buffer {
  float* p = nullptr;
  size_t cap = 0;
  float* get(size_t n) {
    if (n > cap) {
      std::free(p);
      p = aligned_floats(n);
      cap = p != nullptr ? n : 0;
    }
    return p;
  }
};

struct Scratch {
  Buffer a;        // a packed A block (MC x KC), per executing thread
  Buffer b;        // the packed B of a product, owned by the thread that started it
  Buffer c;        // col2im tiles
  Buffer partial;  // split-K partial products
  struct Zeros {
    float* p = nullptr;
    size_t cap = 0;
    const float* get(size_t n) {
      if (n > cap) {
        std::free(p);
        p = aligned_floats(n);
        std::memset(p, 0, sizeof(float) * std::max<size_t>(n, 16));
        cap = n;
      }
      return p;
    }
  } zero;
  struct Ptrs {
    std::vector<const float*> v;
    const float** get(size_t n) {
      if (v.size() < n) v.resize(n);
      return v.data();
    }
  } ptrs;
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// ------------------------------------------------------------------------------------------------
// Thread pool: persistent workers plus the calling thread, with dynamic work claiming. run(body)
// calls body() on the calling thread and on every worker that joins before the caller finishes;
// body claims work items itself, so a worker that is not scheduled in time (a busy machine) costs
// nothing: the caller does its share and only waits for items a worker already took.

int g_spin_us = 50;
bool g_indirect = true;  // MTL_NATIVE_IM2COL=1: packed im2col instead of the indirect convolution  // how long an idle worker spins before sleeping (MTL_NATIVE_SPIN_US)

class Pool {
 public:
  explicit Pool(int n) : n_(std::max(1, n)) {
    // Workers start from generation 0 (passed in, not read in the thread, which may start late).
    for (int i = 1; i < n_; ++i) std::thread([this] { loop(0u); }).detach();
  }
  int size() const { return n_; }
  void run(const std::function<void()>& body) {
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock() || n_ == 1) {  // another Node thread is using the pool: run alone
      body();
      return;
    }
    task_.store(&body, std::memory_order_relaxed);
    state_.store(0, std::memory_order_release);  // open: workers may join
    {
      std::lock_guard<std::mutex> g(m_);
      gen_.fetch_add(1);
    }
    if (sleepers_.load() > 0) cv_.notify_all();
    body();
    state_.fetch_or(CLOSED, std::memory_order_acq_rel);  // no new joiners
    int spins = 0;
    while ((state_.load(std::memory_order_acquire) & ~CLOSED) != 0) {
      if (++spins < 2000) {
        pause();
      } else {
        std::this_thread::yield();
      }
    }
  }

 private:
  static constexpr unsigned CLOSED = 1u << 31;
  static void pause() {
#ifdef MTL_X86
    _mm_pause();
#endif
  }
  void loop(unsigned seen) {
    for (;;) {
      // Spin a little (the next product of a training step usually follows within microseconds),
      // then sleep: a spinning worker would take a core from everything else.
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(g_spin_us);
      for (int spins = 0; gen_.load(std::memory_order_acquire) == seen; ++spins) {
        pause();
        if ((spins & 63) == 63 && std::chrono::steady_clock::now() > until) break;
      }
      if (gen_.load() == seen) {
        sleepers_.fetch_add(1);
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [&] { return gen_.load() != seen; });
        sleepers_.fetch_sub(1);
      }
      seen = gen_.load(std::memory_order_acquire);
      unsigned s = state_.load(std::memory_order_acquire);
      bool joined = false;
      while ((s & CLOSED) == 0) {
        if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel)) {
          joined = true;
          break;
        }
      }
      if (!joined) continue;
      (*task_.load(std::memory_order_acquire))();
      state_.fetch_sub(1, std::memory_order_release);
    }
  }
  const int n_;
  std::mutex busy_;
  std::mutex m_;
  std::condition_variable cv_;
  std::atomic<unsigned> gen_{0};
  std::atomic<unsigned> state_{CLOSED};  // CLOSED bit | number of workers inside the task
  std::atomic<int> sleepers_{0};
  std::atomic<const std::function<void()>*> task_{nullptr};
};

int g_threads = 1;
Pool* g_pool = nullptr;  // intentionally never destroyed (its threads are detached)
std::mutex g_pool_mutex;

int available_cpus() {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
#endif
  return std::max(1u, std::thread::hardware_concurrency());
}

Pool* pool() {
  std::lock_guard<std::mutex> g(g_pool_mutex);
  if (g_pool == nullptr || g_pool->size() != g_threads) g_pool = new Pool(g_threads);  // an old pool idles
  return g_pool;
}

// fn(0..items-1), each once, on up to `threads` threads (the caller included).
void parallel_for(int items, int threads, const std::function<void(int)>& fn) {
  if (items <= 0) return;
  if (items == 1 || threads <= 1 || g_threads <= 1) {
    for (int i = 0; i < items; ++i) fn(i);
    return;
  }
  std::atomic<int> next{0};
  const std::function<void()> body = [&] {
    for (int i; (i = next.fetch_add(1, std::memory_order_relaxed)) < items;) fn(i);
  };
  pool()->run(body);
}

// Work below this many flops per thread is not worth a hand-off.
double g_min_flops_per_thread = 4.0e5;

int threads_for(double flops) {
  const int t = (int)(flops / g_min_flops_per_thread);
  return std::max(1, std::min(t, g_threads));
}

// ------------------------------------------------------------------------------------------------
// GEMM: C (M x N, ldc) = alpha A B + beta C, then the epilogue.
// B is packed once per product (all of K, in column super-blocks that keep it within ~16 MB) and
// shared; work items are (MC-row block x column chunk) tiles, each packing its own A blocks. When
// there are too few tiles and K is long (filter gradients), K is split into parts summed at the end.

// One tile: rows i0..i0+mc, column panels jp0..jp1 of the packed B, depth blocks [pcBegin, pcEnd).
void compute_tile(const APacker& A, const float* pb, int ncPanels, int nc, int i0, int mc, int pcBegin, int pcEnd, int K, int jp0, int jp1,
                  float* C, long ldc, float alpha, float beta) {
  float* pa = scratch().a.get((size_t)MC * KC);
  const MicroKernel kern = g_kernel;
  for (int pc = pcBegin; pc < pcEnd; pc += KC) {
    const int kc = std::min(KC, K - pc);
    A.pack(pa, i0, mc, pc, kc);
    const float b = pc == pcBegin ? beta : 1.f;
    const float* pbk = pb + (long)pc * ncPanels * NR;
    for (int jp = jp0; jp < jp1; ++jp) {
      const float* bp = pbk + (long)jp * kc * NR;
      const int nr = std::min(NR, nc - jp * NR);
      for (int ir = 0; ir < mc;) {
        const float* ap = pa + (long)(ir / MR) * kc * MR;
#ifdef MTL_X86
        if (g_twin != nullptr && mc - ir > MR) {
          g_twin(kc, ap, ap + (long)kc * MR, bp, C + (long)(i0 + ir) * ldc + jp * NR, ldc, alpha, b, std::min(2 * MR, mc - ir), nr);
          ir += 2 * MR;
          continue;
        }
#endif
        kern(kc, ap, bp, C + (long)(i0 + ir) * ldc + jp * NR, ldc, alpha, b, std::min(MR, mc - ir), nr);
        ir += MR;
      }
    }
  }
}

// C (M x N) = alpha A B + beta C over depth [pcBegin, pcEnd), single-threaded, BLIS loop order with
// thread-local packing: a B block (KC x NC) at a time, then A blocks (MC x KC). For long K (filter
// gradients), where packing all of B up front would not fit the caches.
void gemm_stream(const APacker& A, const BPacker& B, int M, int N, int pcBegin, int pcEnd, int K, float* C, long ldc, float alpha, float beta) {
  Scratch& s = scratch();
  const MicroKernel kern = g_kernel;
  const int ncMax = std::min(NC, (N + NR - 1) / NR * NR);
  float* pb = s.b.get((size_t)KC * ncMax);
  float* pa = s.a.get((size_t)MC * KC);
  for (int jc = 0; jc < N; jc += NC) {
    const int nc = std::min(NC, N - jc);
    for (int pc = pcBegin; pc < pcEnd; pc += KC) {
      const int kc = std::min(KC, pcEnd - pc);
      B.pack(pb, pc, kc, jc, nc);
      const float bb = pc == pcBegin ? beta : 1.f;
      for (int ic = 0; ic < M; ic += MC) {
        const int mc = std::min(MC, M - ic);
        A.pack(pa, ic, mc, pc, kc);
        for (int jr = 0; jr < nc; jr += NR) {
          const float* bp = pb + (long)(jr / NR) * kc * NR;
          const int nr = std::min(NR, nc - jr);
          for (int ir = 0; ir < mc;) {
            const float* ap = pa + (long)(ir / MR) * kc * MR;
#ifdef MTL_X86
            if (g_twin != nullptr && mc - ir > MR) {
              g_twin(kc, ap, ap + (long)kc * MR, bp, C + (long)(ic + ir) * ldc + jc + jr, ldc, alpha, bb, std::min(2 * MR, mc - ir), nr);
              ir += 2 * MR;
              continue;
            }
#endif
            kern(kc, ap, bp, C + (long)(ic + ir) * ldc + jc + jr, ldc, alpha, bb, std::min(MR, mc - ir), nr);
            ir += MR;
          }
        }
      }
    }
  }
  (void)K;
}

void gemm(const APacker& A, const BPacker& B, int M, int N, int K, float* C, long ldc, float alpha, float beta, const Epilogue& e, bool threaded) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) C[(long)i * ldc + j] = beta == 0.f ? 0.f : beta * C[(long)i * ldc + j];
    apply_epilogue(e, C, ldc, 0, M, 0, N);
    return;
  }
  const int nt = threaded ? threads_for(2.0 * M * N * K) : 1;
  const int kBlocks = (K + KC - 1) / KC;
  const long maxPacked = 4L << 20;  // floats
  const long nPadded = (long)(N + NR - 1) / NR * NR;
  if (K >= 4 * KC && (K >= 4L * std::max(M, N) || (long)K * nPadded > maxPacked)) {
    // Long K: stream it, split into parts (one partial C each) when threaded.
    const int parts = nt > 1 ? std::min(kBlocks, 2 * nt) : 1;
    if (parts == 1) {
      gemm_stream(A, B, M, N, 0, K, K, C, ldc, alpha, beta);
      apply_epilogue(e, C, ldc, 0, M, 0, N);
      return;
    }
    const long tile = (long)M * N;
    float* part = scratch().partial.get((size_t)parts * tile);
    parallel_for(parts, nt, [&](int p) {
      const int kb0 = (int)((long)kBlocks * p / parts), kb1 = (int)((long)kBlocks * (p + 1) / parts);
      gemm_stream(A, B, M, N, kb0 * KC, std::min(K, kb1 * KC), K, part + p * tile, N, 1.f, 0.f);
    });
    for (int i = 0; i < M; ++i) {
      float* cr = C + (long)i * ldc;
      const float* p0 = part + (long)i * N;
      for (int j = 0; j < N; ++j) {
        float acc = p0[j];
        for (int p = 1; p < parts; ++p) acc += p0[p * tile + j];
        cr[j] = beta == 0.f ? alpha * acc : alpha * acc + beta * cr[j];
      }
    }
    apply_epilogue(e, C, ldc, 0, M, 0, N);
    return;
  }
  int ncb = (int)nPadded;
  if ((long)K * ncb > maxPacked) ncb = std::max<long>(NR, (maxPacked / K) / NR * NR);
  float* pb = scratch().b.get((size_t)K * ncb);
  for (int jc = 0; jc < N; jc += ncb) {
    const int nc = std::min(ncb, N - jc);
    const int ncPanels = (nc + NR - 1) / NR;
    parallel_for(kBlocks, (long)K * nc >= (1L << 16) ? nt : 1, [&](int kb) {
      const int pc = kb * KC;
      B.pack(pb + (long)pc * ncPanels * NR, pc, std::min(KC, K - pc), jc, nc);
    });
    float* Cj = C + jc;
    // Work items. Rows first: each row block packs its A once. With few rows, smaller row blocks make
    // enough items; then column chunks (each re-packs its A rows, so only chunks of >= 4 panels); then,
    // for a long K (filter gradients), K is split into parts summed at the end.
    int mcEff = MC;
    if (nt > 1 && (M + MC - 1) / MC < 4 * nt) mcEff = std::max(MR, (((M + 4 * nt - 1) / (4 * nt)) + MR - 1) / MR * MR);
    int rowBlocks = (M + mcEff - 1) / mcEff;
    int colChunks = 1;
    if (nt > 1 && rowBlocks < 2 * nt && ncPanels >= 8) colChunks = std::min(ncPanels / 4, (2 * nt + rowBlocks - 1) / rowBlocks);
    const bool splitK = nt > 1 && rowBlocks * colChunks < 2 * nt && kBlocks >= 2 * nt;
    if (splitK) {
      const int parts = std::min(kBlocks, 4 * nt);
      const long tile = (long)M * nc;
      float* part = scratch().partial.get((size_t)parts * tile);
      parallel_for(parts, nt, [&](int p) {
        const int kb0 = (int)((long)kBlocks * p / parts), kb1 = (int)((long)kBlocks * (p + 1) / parts);
        for (int i0 = 0; i0 < M; i0 += MC) {
          compute_tile(A, pb, ncPanels, nc, i0, std::min(MC, M - i0), kb0 * KC, std::min(K, kb1 * KC), K, 0, ncPanels, part + p * tile, nc, 1.f, 0.f);
        }
      });
      for (int i = 0; i < M; ++i) {
        float* cr = Cj + (long)i * ldc;
        for (int j = 0; j < nc; ++j) {
          float s = 0.f;
          for (int p = 0; p < parts; ++p) s += part[p * tile + (long)i * nc + j];
          cr[j] = beta == 0.f ? alpha * s : alpha * s + beta * cr[j];
        }
      }
      apply_epilogue(e, C, ldc, 0, M, jc, jc + nc);
      continue;
    }
#ifdef MTL_X86
    // The 12-row kernels want row blocks of whole panel pairs (a lone 6-row panel takes the slower
    // kernel). Decided after the split-K choice, which must not depend on the kernel: the sums would.
    if (g_twin != nullptr && mcEff % (2 * MR) != 0) {
      mcEff = std::min(MC, (mcEff + 2 * MR - 1) / (2 * MR) * (2 * MR));
      rowBlocks = (M + mcEff - 1) / mcEff;
    }
#endif
    parallel_for(rowBlocks * colChunks, nt, [&](int it) {
      const int rb = it / colChunks, cc = it % colChunks;
      const int jp0 = (int)((long)ncPanels * cc / colChunks), jp1 = (int)((long)ncPanels * (cc + 1) / colChunks);
      if (jp1 <= jp0) return;
      const int i0 = rb * mcEff, mc = std::min(mcEff, M - i0);
      compute_tile(A, pb, ncPanels, nc, i0, mc, 0, K, K, jp0, jp1, Cj, ldc, alpha, beta);
      apply_epilogue(e, C, ldc, i0, i0 + mc, jc + jp0 * NR, jc + std::min(nc, jp1 * NR));
    });
  }
}

// ------------------------------------------------------------------------------------------------
// Matrix-vector products (M == 1 or N == 1), where 6x16 tiles would mostly compute padding.

float dot_scalar(const float* a, const float* b, long n) {
  float s = 0.f;
  for (long i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}
void axpy_scalar(float a, const float* x, float* y, long n) {
  for (long i = 0; i < n; ++i) y[i] += a * x[i];
}
#ifdef MTL_X86
__attribute__((target("avx2,fma"))) float dot_avx2(const float* a, const float* b, long n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
  long i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
  }
  for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
  const __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
  float r = _mm_cvtss_f32(h);
  for (; i < n; ++i) r += a[i] * b[i];
  return r;
}
__attribute__((target("avx2,fma"))) void axpy_avx2(float a, const float* x, float* y, long n) {
  const __m256 va = _mm256_set1_ps(a);
  long i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += a * x[i];
}
#endif
float dot(const float* a, const float* b, long n) {
#ifdef MTL_X86
  if (g_avx2) return dot_avx2(a, b, n);
#endif
  return dot_scalar(a, b, n);
}
void axpy(float a, const float* x, float* y, long n) {
#ifdef MTL_X86
  if (g_avx2) return axpy_avx2(a, x, y, n);
#endif
  axpy_scalar(a, x, y, n);
}

// C = alpha op(A) op(B) (beta == 0) for M == 1 or N == 1; the row (or column) of C is contiguous.
void gemv(const float* A, const float* B, float* C, int M, int N, int K, bool ta, bool tb, float alpha) {
  if (M == 1) {
    // a(p) = A[p] in either layout.
    if (tb) {
      for (int j = 0; j < N; ++j) C[j] = dot(A, B + (long)j * K, K);
    } else {
      std::memset(C, 0, sizeof(float) * N);
      for (int p = 0; p < K; ++p) axpy(A[p], B + (long)p * N, C, N);
    }
  } else {
    // N == 1: b(p) = B[p] in either layout.
    if (!ta) {
      for (int i = 0; i < M; ++i) C[i] = dot(A + (long)i * K, B, K);
    } else {
      std::memset(C, 0, sizeof(float) * M);
      for (int p = 0; p < K; ++p) axpy(B[p], A + (long)p * M, C, M);
    }
  }
  if (alpha != 1.f) {
    const int n = M == 1 ? N : M;
    for (int i = 0; i < n; ++i) C[i] *= alpha;
  }
}

// ------------------------------------------------------------------------------------------------
// Indirect GEMM for convolutions: C (M x N) = sum over taps t and channels c of A_t(i)[c] * B(t*chans + c, j),
// where A_t(i) is a pointer (or zeros) given per output row and tap. Bias/activation as in gemm.

struct IndirectA {
  virtual ~IndirectA() = default;
  int taps = 0;
  int chans = 0;
  // Pointer to the `chans` values of row i at tap t, or nullptr for zeros.
  virtual void row(int i, const float** out) const = 0;
};

void igemm(const IndirectA& A, const BPacker& B, int M, int N, float* C, long ldc, const Epilogue& e, bool threaded) {
  const int taps = A.taps, chans = A.chans;
  const int K = taps * chans;
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    for (int i = 0; i < M; ++i) std::memset(C + (long)i * ldc, 0, sizeof(float) * N);
    apply_epilogue(e, C, ldc, 0, M, 0, N);
    return;
  }
  // Depth blocks: whole taps of all channels (at most KCI deep, B's micro-panel staying in L1), split
  // evenly; or, for many channels, one tap's channels in KC chunks.
  struct Block {
    int t0, t1, c0, cn, pc, kc;
  };
  constexpr int KCI = 384;
  std::vector<Block> blocks;
  if (chans <= KCI) {
    const int nb = (K + KCI - 1) / KCI;
    const int per = std::max(1, (taps + nb - 1) / nb);
    for (int t = 0; t < taps; t += per) {
      const int t1 = std::min(taps, t + per);
      blocks.push_back({t, t1, 0, chans, t * chans, (t1 - t) * chans});
    }
  } else {
    for (int t = 0; t < taps; ++t)
      for (int c = 0; c < chans; c += KC) blocks.push_back({t, t + 1, c, std::min(KC, chans - c), t * chans + c, std::min(KC, chans - c)});
  }
  const int nt = threaded ? threads_for(2.0 * M * N * K) : 1;
  const int ncPanels = (N + NR - 1) / NR;
  float* pb = scratch().b.get((size_t)K * ncPanels * NR);
  parallel_for((int)blocks.size(), (long)K * N >= (1L << 16) ? nt : 1, [&](int bi) {
    const Block& bl = blocks[bi];
    B.pack(pb + (long)bl.pc * ncPanels * NR, bl.pc, bl.kc, 0, N);
  });
  int mcEff = MC;
  if (nt > 1 && (M + MC - 1) / MC < 4 * nt) mcEff = std::max(MR, (((M + 4 * nt - 1) / (4 * nt)) + MR - 1) / MR * MR);
#ifdef MTL_X86
  if (g_itwin != nullptr) mcEff = std::min(MC, (mcEff + 2 * MR - 1) / (2 * MR) * (2 * MR));  // whole panel pairs (12-row kernel)
#endif
  const int rowBlocks = (M + mcEff - 1) / mcEff;
  const IndirectKernel kern = g_ikernel;
  parallel_for(rowBlocks, nt, [&](int rb) {
    const int i0 = rb * mcEff, mc = std::min(mcEff, M - i0);
    const int panels = (mc + MR - 1) / MR;
    Scratch& sc = scratch();
    // Zeros for missing rows/taps (at least `chans` long), and the pointer table [panel][tap][MR].
    const float* zero = sc.zero.get((size_t)chans);
    const float** ptrs = sc.ptrs.get((size_t)panels * taps * MR);
    std::vector<const float*> rowPtrs(taps);
    for (int p = 0; p < panels; ++p) {
      for (int r = 0; r < MR; ++r) {
        const int i = i0 + p * MR + r;
        if (i < i0 + mc) A.row(i, rowPtrs.data());
        for (int t = 0; t < taps; ++t) ptrs[((long)p * taps + t) * MR + r] = (i < i0 + mc && rowPtrs[t] != nullptr) ? rowPtrs[t] : zero;
      }
    }
    for (size_t bi = 0; bi < blocks.size(); ++bi) {
      const Block& bl = blocks[bi];
      const float* pbk = pb + (long)bl.pc * ncPanels * NR;
      const float beta = bi == 0 ? 0.f : 1.f;
      for (int jp = 0; jp < ncPanels; ++jp) {
        const float* bp = pbk + (long)jp * bl.kc * NR;
        const int nr = std::min(NR, N - jp * NR);
        for (int p = 0; p < panels;) {
#ifdef MTL_X86
          if (g_itwin != nullptr && p + 1 < panels) {
            g_itwin(bl.t1 - bl.t0, bl.c0, bl.cn, ptrs + ((long)p * taps + bl.t0) * MR, ptrs + ((long)(p + 1) * taps + bl.t0) * MR, bp,
                    C + (long)(i0 + p * MR) * ldc + jp * NR, ldc, beta, std::min(2 * MR, mc - p * MR), nr);
            p += 2;
            continue;
          }
#endif
          kern(bl.t1 - bl.t0, bl.c0, bl.cn, ptrs + ((long)p * taps + bl.t0) * MR, bp, C + (long)(i0 + p * MR) * ldc + jp * NR, ldc, beta,
               std::min(MR, mc - p * MR), nr);
          ++p;
        }
      }
    }
    apply_epilogue(e, C, ldc, i0, i0 + mc, 0, N);
  });
}

// Forward convolution rows: output pixel i = (b, oh, ow); tap (kh, kw) reads x[b, oh*sh + kh*dh - pt, ow*sw + kw*dw - pl, :].
struct ConvForwardRows final : IndirectA {
  const float* x;
  Geo g;
  ConvForwardRows(const float* x_, const Geo& g_) : x(x_), g(g_) {
    taps = g.KH * g.KW;
    chans = g.Ci;
  }
  void row(int i, const float** out) const override {
    const int ohw = g.OH * g.OW;
    const int b = i / ohw;
    const int rem = i - b * ohw;
    const int oh = rem / g.OW;
    const int ow = rem - oh * g.OW;
    const float* xb = x + (long)b * g.H * g.W * g.Ci;
    for (int kh = 0; kh < g.KH; ++kh) {
      const int ih = oh * g.sh + kh * g.dh - g.pt;
      for (int kw = 0; kw < g.KW; ++kw) {
        const int iw = ow * g.sw + kw * g.dw - g.pl;
        out[kh * g.KW + kw] = (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W) ? xb + ((long)ih * g.W + iw) * g.Ci : nullptr;
      }
    }
  }
};

// Input-gradient rows for stride 1: dx pixel i = (b, ih, iw); tap (kh, kw) reads dy[b, ih + pt - kh*dh, iw + pl - kw*dw, :].
struct ConvInputGradRows final : IndirectA {
  const float* dy;
  Geo g;
  ConvInputGradRows(const float* dy_, const Geo& g_) : dy(dy_), g(g_) {
    taps = g.KH * g.KW;
    chans = g.Co;
  }
  void row(int i, const float** out) const override {
    const int hw = g.H * g.W;
    const int b = i / hw;
    const int rem = i - b * hw;
    const int ih = rem / g.W;
    const int iw = rem - ih * g.W;
    const float* dyb = dy + (long)b * g.OH * g.OW * g.Co;
    for (int kh = 0; kh < g.KH; ++kh) {
      const int oh = ih + g.pt - kh * g.dh;
      for (int kw = 0; kw < g.KW; ++kw) {
        const int ow = iw + g.pl - kw * g.dw;
        out[kh * g.KW + kw] = (oh >= 0 && oh < g.OH && ow >= 0 && ow < g.OW) ? dyb + ((long)oh * g.OW + ow) * g.Co : nullptr;
      }
    }
  }
};

// B(k = (tap, co), j = ci) = w[(tap * Ci + ci) * Co + co]: the filter's taps with channels transposed.
struct BFilterT final : BPacker {
  const float* w;
  int Ci, Co;
  BFilterT(const float* w_, int ci, int co) : w(w_), Ci(ci), Co(co) {}
  void pack(float* dst, int p0, int kc, int j0, int nc) const override {
    for (int jr = 0; jr < nc; jr += NR) {
      const int nr = std::min(NR, nc - jr);
      for (int k = 0; k < kc; ++k) {
        const int tap = (p0 + k) / Co;
        const int co = (p0 + k) - tap * Co;
        const float* s = w + ((long)tap * Ci + j0 + jr) * Co + co;
        float* d = dst + k * NR;
        int j = 0;
        for (; j < nr; ++j) d[j] = s[(long)j * Co];
        for (; j < NR; ++j) d[j] = 0.f;
      }
      dst += (long)kc * NR;
    }
  }
};

// ------------------------------------------------------------------------------------------------
// Convolution gradients.

// dx = col2im(dy W^T): per chunk of output pixels, T = dy_chunk [R x Co] * W^T [Co x KH*KW*Ci], then
// T's rows are added into dx at their taps. Work items are groups of whole batch images, so no two
// threads write the same dx element.
void conv_backprop_input(const float* dy, const float* w, float* dx, const Geo& g) {
  const int nk = g.KH * g.KW * g.Ci;
  const long imgIn = (long)g.H * g.W * g.Ci;
  const int ohw = g.OH * g.OW;
  const BColMajor Bw(w, g.Co);  // B(p = co, j = (kh,kw,ci)) = w[j * Co + co]
  int rows = std::max(MR * 4, std::min(4096, (int)(65536 / std::max(1, nk))));
  rows = (rows / MR) * MR;
  const Epilogue none;

  auto work = [&](int b0, int b1, bool threaded) {
    if (b1 <= b0) return;
    std::memset(dx + b0 * imgIn, 0, sizeof(float) * (size_t)(b1 - b0) * imgIn);
    const long total = (long)(b1 - b0) * ohw;
    const float* dyb = dy + (long)b0 * ohw * g.Co;
    for (long r0 = 0; r0 < total; r0 += rows) {
      const int R = (int)std::min<long>(rows, total - r0);
      float* t = scratch().c.get((size_t)rows * nk);
      const ARowMajor Ady(dyb + r0 * g.Co, g.Co);
      gemm(Ady, Bw, R, nk, g.Co, t, nk, 1.f, 0.f, none, threaded);
      for (int r = 0; r < R; ++r) {
        const long pix = (long)b0 * ohw + r0 + r;
        const int b = (int)(pix / ohw);
        const int rem = (int)(pix - (long)b * ohw);
        const int oh = rem / g.OW;
        const int ow = rem - oh * g.OW;
        float* dxb = dx + b * imgIn;
        const float* tr = t + (long)r * nk;
        for (int kh = 0; kh < g.KH; ++kh) {
          const int ih = oh * g.sh - g.pt + kh * g.dh;
          if (ih < 0 || ih >= g.H) continue;
          for (int kw = 0; kw < g.KW; ++kw) {
            const int iw = ow * g.sw - g.pl + kw * g.dw;
            if (iw < 0 || iw >= g.W) continue;
            float* d = dxb + ((long)ih * g.W + iw) * g.Ci;
            const float* s = tr + (kh * g.KW + kw) * g.Ci;
            for (int c = 0; c < g.Ci; ++c) d[c] += s[c];
          }
        }
      }
    }
  };
  const double flops = 2.0 * g.B * ohw * (double)nk * g.Co;
  const int nt = threads_for(flops);
  if (nt <= 1 || g.B < 2) {
    work(0, g.B, true);
    return;
  }
  // Groups of images: enough items to balance, each at least ~`rows` pixels.
  const int groups = std::min(g.B, std::max(2 * nt, std::min(g.B, (int)(((long)g.B * ohw) / std::max(1, rows)))));
  parallel_for(groups, nt, [&](int i) { work((int)((long)g.B * i / groups), (int)((long)g.B * (i + 1) / groups), false); });
}
// ------------------------------------------------------------------------------------------------
// Fused Adam (tfjs's AdamOptimizer, the same float32 operations in the same order; compiled with
// -ffp-contract=off so no FMA contraction changes the rounding):
//   m' = m*b1 + g*(1-b1); v' = v*b2 + (g*g)*(1-b2); p' = ((m'/(1-b1^t)) / (sqrt(v'/(1-b2^t)) + eps)) * (-lr) + p

void adam_range(float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v, long i0, long i1, float b1, float omb1,
                float b2, float omb2, float omab1, float omab2, float eps, float neglr) {
  for (long i = i0; i < i1; ++i) {
    const float gi = g[i];
    const float nm = m[i] * b1 + gi * omb1;
    const float nv = v[i] * b2 + (gi * gi) * omb2;
    m[i] = nm;
    v[i] = nv;
    const float mh = nm / omab1;
    const float vh = nv / omab2;
    p[i] = (mh / (std::sqrt(vh) + eps)) * neglr + p[i];
  }
}

#ifdef MTL_X86
__attribute__((target("avx2"))) void adam_range_avx2(float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v, long i0,
                                                     long i1, float b1, float omb1, float b2, float omb2, float omab1, float omab2, float eps,
                                                     float neglr) {
  const __m256 vb1 = _mm256_set1_ps(b1), vomb1 = _mm256_set1_ps(omb1), vb2 = _mm256_set1_ps(b2), vomb2 = _mm256_set1_ps(omb2);
  const __m256 va1 = _mm256_set1_ps(omab1), va2 = _mm256_set1_ps(omab2), veps = _mm256_set1_ps(eps), vlr = _mm256_set1_ps(neglr);
  long i = i0;
  for (; i + 8 <= i1; i += 8) {
    const __m256 gi = _mm256_loadu_ps(g + i);
    const __m256 nm = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(m + i), vb1), _mm256_mul_ps(gi, vomb1));
    const __m256 nv = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(v + i), vb2), _mm256_mul_ps(_mm256_mul_ps(gi, gi), vomb2));
    _mm256_storeu_ps(m + i, nm);
    _mm256_storeu_ps(v + i, nv);
    const __m256 mh = _mm256_div_ps(nm, va1);
    const __m256 vh = _mm256_div_ps(nv, va2);
    const __m256 step = _mm256_mul_ps(_mm256_div_ps(mh, _mm256_add_ps(_mm256_sqrt_ps(vh), veps)), vlr);
    _mm256_storeu_ps(p + i, _mm256_add_ps(step, _mm256_loadu_ps(p + i)));
  }
  adam_range(p, g, m, v, i, i1, b1, omb1, b2, omb2, omab1, omab2, eps, neglr);
}
#endif

// ------------------------------------------------------------------------------------------------
// Node-API glue.

struct Heap {
  uint8_t* data = nullptr;
  size_t len = 0;
};

bool throw_error(napi_env env, const char* msg) {
  napi_throw_error(env, "MTL_NATIVE", msg);
  return false;
}

bool get_heap(napi_env env, napi_value v, Heap* h) {
  bool is = false;
  napi_is_typedarray(env, v, &is);
  if (is) {
    napi_typedarray_type type;
    size_t length = 0, offset = 0;
    void* data = nullptr;
    napi_value ab;
    if (napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &offset) != napi_ok) return throw_error(env, "heap: bad typed array");
    if (type != napi_uint8_array) return throw_error(env, "heap: expected a Uint8Array");
    h->data = static_cast<uint8_t*>(data);
    h->len = length;
    return true;
  }
  napi_is_arraybuffer(env, v, &is);
  if (is) {
    void* data = nullptr;
    size_t length = 0;
    if (napi_get_arraybuffer_info(env, v, &data, &length) != napi_ok) return throw_error(env, "heap: bad ArrayBuffer");
    h->data = static_cast<uint8_t*>(data);
    h->len = length;
    return true;
  }
  return throw_error(env, "heap: expected a Uint8Array or an ArrayBuffer");
}

// A float32 array of n elements at byte offset `off` (off < 0: absent -> nullptr, if allowed).
bool get_floats(napi_env env, const Heap& h, double off, double n, float** out, bool optional = false) {
  if (off < 0 && optional) {
    *out = nullptr;
    return true;
  }
  if (!(off >= 0) || !(n >= 0) || std::fmod(off, 4.0) != 0 || off + 4.0 * n > (double)h.len) {
    return throw_error(env, "array out of the heap's bounds or misaligned");
  }
  *out = reinterpret_cast<float*>(h.data + (size_t)off);
  return true;
}

struct Args {
  napi_value v[32];
  size_t n = 32;
  double num[32];
};

bool get_args(napi_env env, napi_callback_info info, Args* a, size_t want) {
  a->n = 32;
  if (napi_get_cb_info(env, info, &a->n, a->v, nullptr, nullptr) != napi_ok) return throw_error(env, "bad call");
  if (a->n < want) return throw_error(env, "too few arguments");
  for (size_t i = 1; i < want; ++i) {
    napi_valuetype t;
    napi_typeof(env, a->v[i], &t);
    if (t == napi_boolean) {
      bool b = false;
      napi_get_value_bool(env, a->v[i], &b);
      a->num[i] = b ? 1 : 0;
    } else if (napi_get_value_double(env, a->v[i], &a->num[i]) != napi_ok) {
      return throw_error(env, "expected a number");
    }
  }
  return true;
}

bool read_geo(napi_env env, const Args& a, size_t at, Geo* g) {
  int* f[] = {&g->B, &g->H, &g->W, &g->Ci, &g->KH, &g->KW, &g->Co, &g->OH, &g->OW, &g->sh, &g->sw, &g->dh, &g->dw, &g->pt, &g->pl};
  for (size_t i = 0; i < 15; ++i) *f[i] = (int)a.num[at + i];
  if (g->B < 0 || g->H < 0 || g->W < 0 || g->Ci < 0 || g->KH < 1 || g->KW < 1 || g->Co < 0 || g->OH < 0 || g->OW < 0 || g->sh < 1 || g->sw < 1 ||
      g->dh < 1 || g->dw < 1)
    return throw_error(env, "bad convolution geometry");
  return true;
}

bool read_epilogue(napi_env env, const Heap& h, const Args& a, size_t at, Epilogue* e) {
  float* bias = nullptr;
  if (!get_floats(env, h, a.num[at], a.num[at + 1], &bias, true)) return false;
  e->bias = bias;
  e->biasLen = bias ? (int)a.num[at + 1] : 0;
  e->act = (int)a.num[at + 2];
  e->alpha = (float)a.num[at + 3];
  if (e->act == ACT_PRELU || e->act < 0 || e->act > ACT_ELU) return throw_error(env, "unsupported activation");
  return true;
}

// sgemm(heap, aOff, bOff, cOff, batch, M, N, K, transA, transB, strideA, strideB, alpha, beta,
//       biasOff, biasLen, act, actAlpha)
// Row-major; strideA/strideB: elements between batch items (0 broadcasts); C items are M*N apart.
napi_value Sgemm(napi_env env, napi_callback_info info) {
  Args a;
  Heap h;
  if (!get_args(env, info, &a, 18) || !get_heap(env, a.v[0], &h)) return nullptr;
  const int batch = (int)a.num[4], M = (int)a.num[5], N = (int)a.num[6], K = (int)a.num[7];
  const bool ta = a.num[8] != 0, tb = a.num[9] != 0;
  const long sA = (long)a.num[10], sB = (long)a.num[11];
  const float alpha = (float)a.num[12], beta = (float)a.num[13];
  if (batch < 0 || M < 0 || N < 0 || K < 0) {
    throw_error(env, "negative size");
    return nullptr;
  }
  float *A, *B, *C;
  if (!get_floats(env, h, a.num[1], (double)sA * std::max(batch - 1, 0) + (double)M * K, &A) ||
      !get_floats(env, h, a.num[2], (double)sB * std::max(batch - 1, 0) + (double)K * N, &B) ||
      !get_floats(env, h, a.num[3], (double)batch * M * N, &C))
    return nullptr;
  Epilogue e;
  if (!read_epilogue(env, h, a, 14, &e)) return nullptr;
  if (e.biasLen != 0 && e.biasLen != 1 && e.biasLen != N) {
    throw_error(env, "bias length must be 1 or N");
    return nullptr;
  }
  auto one = [&](int i, bool threaded) {
    const float* Ai = A + sA * i;
    const float* Bi = B + sB * i;
    float* Ci = C + (long)i * M * N;
    const ARowMajor ar(Ai, K);
    const AColMajor ac(Ai, M);
    const BRowMajor br(Bi, N);
    const BColMajor bc(Bi, K);
    if ((M == 1 || N == 1) && beta == 0.f && K > 0) {
      gemv(Ai, Bi, Ci, M, N, K, ta, tb, alpha);
      apply_epilogue(e, Ci, N, 0, M, 0, N);
      return;
    }
    if (!ta && tb && M * N <= 64 && beta == 0.f && K > 0) {
      // A few long dot products (a Gramian GG^T of T task gradients): the packed kernel would pad the
      // M x N block to a full register tile and copy both operands first.
      for (int i = 0; i < M; ++i)
        for (int j = 0; j < N; ++j) Ci[(long)i * N + j] = alpha * dot(Ai + (long)i * K, Bi + (long)j * K, K);
      apply_epilogue(e, Ci, N, 0, M, 0, N);
      return;
    }
    gemm(ta ? (const APacker&)ac : (const APacker&)ar, tb ? (const BPacker&)bc : (const BPacker&)br, M, N, K, Ci, N, alpha, beta, e, threaded);
  };
  const double flopsEach = 2.0 * M * N * std::max(K, 1);
  if (batch >= 2 && threads_for(flopsEach) < g_threads && threads_for(flopsEach * batch) > 1) {
    // Many small products: whole products per work item.
    parallel_for(batch, threads_for(flopsEach * batch), [&](int i) { one(i, false); });
  } else {
    for (int i = 0; i < batch; ++i) one(i, true);
  }
  return nullptr;
}

// conv2d(heap, xOff, wOff, yOff, B,H,W,Ci,KH,KW,Co,OH,OW,sh,sw,dh,dw,pt,pl, biasOff, biasLen, act, actAlpha)
napi_value Conv2d(napi_env env, napi_callback_info info) {
  Args a;
  Heap h;
  Geo g;
  if (!get_args(env, info, &a, 23) || !get_heap(env, a.v[0], &h) || !read_geo(env, a, 4, &g)) return nullptr;
  float *x, *w, *y;
  const double nk = (double)g.KH * g.KW * g.Ci;
  if (!get_floats(env, h, a.num[1], (double)g.B * g.H * g.W * g.Ci, &x) || !get_floats(env, h, a.num[2], nk * g.Co, &w) ||
      !get_floats(env, h, a.num[3], (double)g.B * g.OH * g.OW * g.Co, &y))
    return nullptr;
  Epilogue e;
  if (!read_epilogue(env, h, a, 19, &e)) return nullptr;
  if (e.biasLen != 0 && e.biasLen != 1 && e.biasLen != g.Co) {
    throw_error(env, "bias length must be 1 or Co");
    return nullptr;
  }
  const BRowMajor B(w, g.Co);
  // The indirect kernel pays per tap: only for enough channels per tap and a full NR-wide panel.
  if (g_indirect && g.Ci >= 8 && g.Co >= NR) {
    const ConvForwardRows A(x, g);
    igemm(A, B, g.B * g.OH * g.OW, g.Co, y, g.Co, e, true);
  } else {
    const AIm2col A(x, g);
    gemm(A, B, g.B * g.OH * g.OW, g.Co, (int)nk, y, g.Co, 1.f, 0.f, e, true);
  }
  return nullptr;
}

// conv2dBackpropInput(heap, dyOff, wOff, dxOff, B,H,W,Ci,KH,KW,Co,OH,OW,sh,sw,dh,dw,pt,pl)
napi_value Conv2dBackpropInput(napi_env env, napi_callback_info info) {
  Args a;
  Heap h;
  Geo g;
  if (!get_args(env, info, &a, 19) || !get_heap(env, a.v[0], &h) || !read_geo(env, a, 4, &g)) return nullptr;
  float *dy, *w, *dx;
  if (!get_floats(env, h, a.num[1], (double)g.B * g.OH * g.OW * g.Co, &dy) || !get_floats(env, h, a.num[2], (double)g.KH * g.KW * g.Ci * g.Co, &w) ||
      !get_floats(env, h, a.num[3], (double)g.B * g.H * g.W * g.Ci, &dx))
    return nullptr;
  if (g_indirect && g.sh == 1 && g.sw == 1 && g.Co >= 8 && g.Ci >= NR) {
    // Stride 1: dx is a forward correlation of dy with the flipped, channel-transposed filter.
    const ConvInputGradRows A(dy, g);
    const BFilterT B(w, g.Ci, g.Co);
    const Epilogue none;
    igemm(A, B, g.B * g.H * g.W, g.Ci, dx, g.Ci, none, true);
  } else {
    conv_backprop_input(dy, w, dx, g);
  }
  return nullptr;
}

// conv2dBackpropFilter(heap, xOff, dyOff, dwOff, B,H,W,Ci,KH,KW,Co,OH,OW,sh,sw,dh,dw,pt,pl)
napi_value Conv2dBackpropFilter(napi_env env, napi_callback_info info) {
  Args a;
  Heap h;
  Geo g;
  if (!get_args(env, info, &a, 19) || !get_heap(env, a.v[0], &h) || !read_geo(env, a, 4, &g)) return nullptr;
  float *x, *dy, *dw;
  const int nk = g.KH * g.KW * g.Ci;
  if (!get_floats(env, h, a.num[1], (double)g.B * g.H * g.W * g.Ci, &x) || !get_floats(env, h, a.num[2], (double)g.B * g.OH * g.OW * g.Co, &dy) ||
      !get_floats(env, h, a.num[3], (double)nk * g.Co, &dw))
    return nullptr;
  // dW^T [Co x nk] = dy^T [Co x pixels] * im2col [pixels x nk], then transposed into dW [nk x Co].
  const AColMajor A(dy, g.Co);  // A(i = co, p = pixel) = dy[p * Co + co]
  const BIm2col B(x, g);
  const Epilogue none;
  float* t = scratch().c.get((size_t)g.Co * nk);
  gemm(A, B, g.Co, nk, g.B * g.OH * g.OW, t, nk, 1.f, 0.f, none, true);
  for (int j = 0; j < nk; ++j)
    for (int c = 0; c < g.Co; ++c) dw[(long)j * g.Co + c] = t[(long)c * nk + j];
  return nullptr;
}

// adamUpdate(heap, pOff, gOff, mOff, vOff, n, beta1, oneMinusBeta1, beta2, oneMinusBeta2,
//            oneMinusAccBeta1, oneMinusAccBeta2, eps, negLr)   (p, m, v updated in place)
napi_value AdamUpdate(napi_env env, napi_callback_info info) {
  Args a;
  Heap h;
  if (!get_args(env, info, &a, 14) || !get_heap(env, a.v[0], &h)) return nullptr;
  const double n = a.num[5];
  float *p, *g, *m, *v;
  if (!get_floats(env, h, a.num[1], n, &p) || !get_floats(env, h, a.num[2], n, &g) || !get_floats(env, h, a.num[3], n, &m) ||
      !get_floats(env, h, a.num[4], n, &v))
    return nullptr;
  const float c[8] = {(float)a.num[6], (float)a.num[7], (float)a.num[8], (float)a.num[9], (float)a.num[10], (float)a.num[11], (float)a.num[12], (float)a.num[13]};
  const long len = (long)n;
  auto run = [&](long i0, long i1) {
#ifdef MTL_X86
    if (g_avx2) {
      adam_range_avx2(p, g, m, v, i0, i1, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]);
      return;
    }
#endif
    adam_range(p, g, m, v, i0, i1, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]);
  };
  // Bound by the divider (three divisions and a square root per element, ~2.5 cycles each), not by
  // memory: a second thread pays from a few tens of thousands of elements (a 256 x 256 kernel) up.
  const long chunk = 1L << 14;
  const int items = (int)((len + chunk - 1) / chunk);
  parallel_for(items, len >= (1L << 15) ? g_threads : 1, [&](int i) { run(i * chunk, std::min(len, (i + 1) * chunk)); });
  return nullptr;
}

// setThreads(n) -> the count now in use (n <= 0: the default).
napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args a;
  if (!get_args(env, info, &a, 1)) return nullptr;
  double n = 0;
  if (a.n >= 1) napi_get_value_double(env, a.v[0], &n);
  g_threads = n >= 1 ? std::min(64, (int)n) : std::min(8, available_cpus());
  napi_value out;
  napi_create_int32(env, g_threads, &out);
  return out;
}

// setMinFlopsPerThread(f)
napi_value SetMinFlopsPerThread(napi_env env, napi_callback_info info) {
  Args a;
  if (!get_args(env, info, &a, 1)) return nullptr;
  double f = 0;
  if (a.n >= 1 && napi_get_value_double(env, a.v[0], &f) == napi_ok && f >= 0) g_min_flops_per_thread = f;
  return nullptr;
}

// setIndirectConv(on): convolutions through the indirect kernel (default) or packed im2col.
napi_value SetIndirectConv(napi_env env, napi_callback_info info) {
  Args a;
  if (!get_args(env, info, &a, 1)) return nullptr;
  bool on = true;
  if (a.n >= 1) napi_get_value_bool(env, a.v[0], &on);
  g_indirect = on;
  return nullptr;
}

// info() -> { avx2, threads, mr, nr, mc, kc, nc, minFlopsPerThread, indirectConv }
napi_value Info(napi_env env, napi_callback_info) {
  napi_value o, v;
  napi_create_object(env, &o);
  napi_get_boolean(env, g_avx2, &v);
  napi_set_named_property(env, o, "avx2", v);
#ifdef MTL_X86
  napi_get_boolean(env, g_twin != nullptr, &v);
#else
  napi_get_boolean(env, false, &v);
#endif
  napi_set_named_property(env, o, "avx512", v);
  const int nums[] = {g_threads, MR, NR, MC, KC, NC};
  const char* names[] = {"threads", "mr", "nr", "mc", "kc", "nc"};
  for (int i = 0; i < 6; ++i) {
    napi_create_int32(env, nums[i], &v);
    napi_set_named_property(env, o, names[i], v);
  }
  napi_create_double(env, g_min_flops_per_thread, &v);
  napi_set_named_property(env, o, "minFlopsPerThread", v);
  napi_get_boolean(env, g_indirect, &v);
  napi_set_named_property(env, o, "indirectConv", v);
  return o;
}

#ifdef MTL_X86
__attribute__((target("avx2,fma"))) inline __m256 exp256(__m256 x) {
  const __m256 hi = _mm256_set1_ps(88.3762626647949f), lo = _mm256_set1_ps(-87.3365478515625f);
  x = _mm256_max_ps(_mm256_min_ps(x, hi), lo);
  __m256 fx = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f));
  fx = _mm256_floor_ps(fx);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
  __m256 y = _mm256_set1_ps(1.9875691500E-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507E-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073E-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894E-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459E-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201E-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.f)));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}
// v[0:n] = tanh(v[0:n]), as sign(x)·(1 − e)/(1 + e) with e = exp(−2|x|) (absolute error ~1e-7).
__attribute__((target("avx2,fma"))) void tanh_avx2(float* v, int n) {
  const __m256 sign = _mm256_set1_ps(-0.f), one = _mm256_set1_ps(1.f), m2 = _mm256_set1_ps(-2.f);
  int k = 0;
  for (; k + 8 <= n; k += 8) {
    const __m256 x = _mm256_loadu_ps(v + k);
    const __m256 e = exp256(_mm256_mul_ps(m2, _mm256_andnot_ps(sign, x)));
    const __m256 t = _mm256_div_ps(_mm256_sub_ps(one, e), _mm256_add_ps(one, e));
    _mm256_storeu_ps(v + k, _mm256_or_ps(t, _mm256_and_ps(sign, x)));
  }
  for (; k < n; ++k) v[k] = std::tanh(v[k]);
}
#endif
void tanh_inplace(float* v, int n) {
#ifdef MTL_X86
  if (g_avx2) return tanh_avx2(v, n);
#endif
  for (int k = 0; k < n; ++k) v[k] = std::tanh(v[k]);
}

// ---- GRU: a whole sequence of one direction per call (src/engine/kernels/gru-sequence.ts has the
// equations and the JavaScript reference). Batch rows are independent through the recurrence, so
// threads take disjoint row ranges for the whole sequence (no synchronisation per step); the per-step
// products are row-vector x matrix (axpy / dot on AVX2). The backward pass leaves dU to two GEMMs over
// all steps at the end: dU_zr = Hprev^T [da_z | da_r], dU_h = (r.h)^T da_h.

inline float gru_gate(float a, bool hard) {
  if (hard) {
    const float y = 0.2f * a + 0.5f;
    return y < 0.f ? 0.f : (y > 1.f ? 1.f : y);
  }
  return 1.f / (1.f + std::exp(-a));
}
inline float gru_gate_grad(float a, bool hard) {
  if (hard) {
    const float y = 0.2f * a + 0.5f;
    return (y >= 0.f && y <= 1.f) ? 0.2f : 0.f;
  }
  const float s = 1.f / (1.f + std::exp(-a));
  return s * (1.f - s);
}

struct GruGeo {
  int B, T, U;
  bool reverse, hard;
  long ld;  // elements between consecutive steps of hs / dhs (U; 2U when both directions share one output)
};

// out[0:N] (=, or += when accumulate) x[0:K] . M (K x N, row stride ldm): the per-step products of a
// recurrence, row vector times a small matrix, with the output block held in registers.
void vecmat_scalar(const float* x, int K, const float* M, long ldm, int N, float* out, bool accumulate) {
  if (!accumulate) std::fill(out, out + N, 0.f);
  for (int k = 0; k < K; ++k) {
    const float xk = x[k];
    if (xk == 0.f) continue;
    const float* m = M + (long)k * ldm;
    for (int j = 0; j < N; ++j) out[j] += xk * m[j];
  }
}
#ifdef MTL_X86
template <int V>
__attribute__((target("avx2,fma"))) inline void vecmat_block_avx2(const float* x, int K, const float* M, long ldm, float* out, bool accumulate) {
  __m256 acc[V];
  for (int v = 0; v < V; ++v) acc[v] = accumulate ? _mm256_loadu_ps(out + 8 * v) : _mm256_setzero_ps();
  for (int k = 0; k < K; ++k) {
    const __m256 b = _mm256_set1_ps(x[k]);
    const float* m = M + (long)k * ldm;
    for (int v = 0; v < V; ++v) acc[v] = _mm256_fmadd_ps(b, _mm256_loadu_ps(m + 8 * v), acc[v]);
  }
  for (int v = 0; v < V; ++v) _mm256_storeu_ps(out + 8 * v, acc[v]);
}
__attribute__((target("avx2,fma"))) void vecmat_avx2(const float* x, int K, const float* M, long ldm, int N, float* out, bool accumulate) {
  int j = 0;
  for (; j + 64 <= N; j += 64) vecmat_block_avx2<8>(x, K, M + j, ldm, out + j, accumulate);
  for (; j + 32 <= N; j += 32) vecmat_block_avx2<4>(x, K, M + j, ldm, out + j, accumulate);
  for (; j + 8 <= N; j += 8) vecmat_block_avx2<1>(x, K, M + j, ldm, out + j, accumulate);
  if (j < N) vecmat_scalar(x, K, M + j, ldm, N - j, out + j, accumulate);
}
#endif
void vecmat(const float* x, int K, const float* M, long ldm, int N, float* out, bool accumulate) {
#ifdef MTL_X86
  if (g_avx2) return vecmat_avx2(x, K, M, ldm, N, out, accumulate);
#endif
  vecmat_scalar(x, K, M, ldm, N, out, accumulate);
}

void gru_forward_rows(const GruGeo& g, const float* xp, const float* u, const float* mask, float* hs, float* ws, int b0, int b1) {
  const int U = g.U, G = 3 * U, T = g.T;
  std::vector<float> buf((size_t)4 * U + 2 * U);
  float* h = buf.data();
  float* gzr = h + U;  // 2U
  float* gh = gzr + 2 * U;
  float* rh = gh + U;
  for (int b = b0; b < b1; ++b) {
    std::fill(h, h + U, 0.f);
    for (int s = 0; s < T; ++s) {
      const int t = g.reverse ? T - 1 - s : s;
      const long bt = (long)b * T + t;
      if (mask[bt] == 0.f) {
        std::memcpy(hs + bt * g.ld, h, sizeof(float) * U);
        continue;
      }
      vecmat(h, U, u, G, 2 * U, gzr, false);
      const float* x = xp + bt * G;
      float* w = ws + bt * G;
      for (int j = 0; j < U; ++j) {
        const float az = x[j] + gzr[j];
        const float ar = x[U + j] + gzr[U + j];
        w[j] = az;
        w[U + j] = ar;
        rh[j] = gru_gate(ar, g.hard) * h[j];
      }
      vecmat(rh, U, u + 2 * U, G, U, gh, false);
      for (int j = 0; j < U; ++j) gh[j] += x[2 * U + j];
      tanh_inplace(gh, U);
      for (int j = 0; j < U; ++j) {
        const float hh = gh[j];
        w[2 * U + j] = hh;
        const float z = gru_gate(w[j], g.hard);
        h[j] = z * h[j] + (1.f - z) * hh;
      }
      std::memcpy(hs + bt * g.ld, h, sizeof(float) * U);
    }
  }
}

// dxp for rows b0..b1, and per step the previous state (hp) and r.h (rh) that the dU products need.
void gru_backward_rows(const GruGeo& g, const float* ut, const float* mask, const float* hs, const float* ws, const float* dhs, float* dxp,
                       float* hpAll, float* rhAll, int b0, int b1) {
  const int U = g.U, G = 3 * U, T = g.T;
  std::vector<float> buf((size_t)3 * U);
  float* dh = buf.data();
  float* drh = dh + U;
  float* zero = drh + U;
  std::fill(zero, zero + U, 0.f);
  for (int b = b0; b < b1; ++b) {
    std::fill(dh, dh + U, 0.f);
    for (int s = T - 1; s >= 0; --s) {
      const int t = g.reverse ? T - 1 - s : s;
      const long bt = (long)b * T + t;
      const float* dy = dhs + bt * g.ld;
      for (int j = 0; j < U; ++j) dh[j] += dy[j];
      float* d = dxp + bt * G;
      float* hpOut = hpAll + bt * U;
      float* rhOut = rhAll + bt * U;
      if (mask[bt] == 0.f) {
        std::fill(d, d + G, 0.f);
        std::fill(hpOut, hpOut + U, 0.f);
        std::fill(rhOut, rhOut + U, 0.f);
        continue;
      }
      const float* hp = s == 0 ? zero : hs + (bt + (g.reverse ? 1 : -1)) * g.ld;
      const float* w = ws + bt * G;
      for (int j = 0; j < U; ++j) {
        const float hh = w[2 * U + j];
        const float z = gru_gate(w[j], g.hard);
        d[2 * U + j] = dh[j] * (1.f - z) * (1.f - hh * hh);
      }
      vecmat(d + 2 * U, U, ut + (long)2 * U * U, U, U, drh, false);  // da_h . U_h^T
      for (int j = 0; j < U; ++j) {
        const float az = w[j], ar = w[U + j];
        const float z = gru_gate(az, g.hard), r = gru_gate(ar, g.hard);
        d[j] = dh[j] * (hp[j] - w[2 * U + j]) * gru_gate_grad(az, g.hard);
        d[U + j] = drh[j] * hp[j] * gru_gate_grad(ar, g.hard);
        hpOut[j] = hp[j];
        rhOut[j] = r * hp[j];
        dh[j] = dh[j] * z + drh[j] * r;
      }
      vecmat(d, 2 * U, ut, U, U, dh, true);  // += [da_z | da_r] . [U_z | U_r]^T
    }
  }
}

void gru_rows_parallel(int B, double flops, const std::function<void(int, int)>& fn) {
  const int threads = std::min(B, threads_for(flops));
  const int per = (B + threads - 1) / std::max(threads, 1);
  const int items = (B + per - 1) / per;
  parallel_for(items, threads, [&](int i) { fn(i * per, std::min(B, (i + 1) * per)); });
}

// Elements an hs / dhs array spans from its first element: (B·T − 1)·ld + U.
double bt_span(const GruGeo& g) {
  const double n = (double)g.B * g.T;
  return n == 0 ? 0 : (n - 1) * g.ld + g.U;
}

bool read_gru_geo(napi_env env, const Args& a, size_t at, GruGeo* g) {
  g->B = (int)a.num[at];
  g->T = (int)a.num[at + 1];
  g->U = (int)a.num[at + 2];
  g->reverse = a.num[at + 3] != 0;
  g->hard = a.num[at + 4] == 0;
  g->ld = (long)a.num[at + 5];
  if (g->B < 0 || g->T < 0 || g->U < 1 || g->ld < g->U) return throw_error(env, "bad GRU geometry");
  return true;
}

// gruForward(heap, xpOff, uOff, maskOff, hsOff, wsOff, B, T, U, reverse, activation (0 hard sigmoid, 1 sigmoid), hsStride)
napi_value GruForward(napi_env env, napi_callback_info info) {
  Args a;
  Heap h;
  GruGeo g;
  if (!get_args(env, info, &a, 12) || !get_heap(env, a.v[0], &h) || !read_gru_geo(env, a, 6, &g)) return nullptr;
  const double hsLen = bt_span(g);
  const double bt = (double)g.B * g.T, G = 3.0 * g.U;
  float *xp, *u, *mask, *hs, *ws;
  if (!get_floats(env, h, a.num[1], bt * G, &xp) || !get_floats(env, h, a.num[2], g.U * G, &u) || !get_floats(env, h, a.num[3], bt, &mask) ||
      !get_floats(env, h, a.num[4], hsLen, &hs) || !get_floats(env, h, a.num[5], bt * G, &ws))
    return nullptr;
  gru_rows_parallel(g.B, 2.0 * bt * g.U * G, [&](int b0, int b1) { gru_forward_rows(g, xp, u, mask, hs, ws, b0, b1); });
  return nullptr;
}

// gruBackward(heap, uOff, maskOff, hsOff, wsOff, dhsOff, dxpOff, duOff, B, T, U, reverse, activation, hsStride)
napi_value GruBackward(napi_env env, napi_callback_info info) {
  Args a;
  Heap h;
  GruGeo g;
  if (!get_args(env, info, &a, 14) || !get_heap(env, a.v[0], &h) || !read_gru_geo(env, a, 8, &g)) return nullptr;
  const double hsLen = bt_span(g);
  const double bt = (double)g.B * g.T, G = 3.0 * g.U;
  float *u, *mask, *hs, *ws, *dhs, *dxp, *du;
  if (!get_floats(env, h, a.num[1], g.U * G, &u) || !get_floats(env, h, a.num[2], bt, &mask) || !get_floats(env, h, a.num[3], hsLen, &hs) ||
      !get_floats(env, h, a.num[4], bt * G, &ws) || !get_floats(env, h, a.num[5], hsLen, &dhs) || !get_floats(env, h, a.num[6], bt * G, &dxp) ||
      !get_floats(env, h, a.num[7], g.U * G, &du))
    return nullptr;
  const int U = g.U, n = g.B * g.T;
  // hp and r.h of every step: 2 x [B*T, U] floats, kept by the calling thread between calls.
  thread_local Buffer keep;
  float* hpAll = keep.get((size_t)2 * std::max(n, 1) * U);
  float* rhAll = hpAll + (size_t)std::max(n, 1) * U;
  // U^T [3U x U], so that the backward products are row vector x matrix like the forward ones.
  thread_local Buffer transposed;
  float* ut = transposed.get((size_t)3 * U * U);
  for (int k = 0; k < U; ++k)
    for (int j = 0; j < 3 * U; ++j) ut[(long)j * U + k] = u[(long)k * 3 * U + j];
  gru_rows_parallel(g.B, 4.0 * bt * g.U * G, [&](int b0, int b1) { gru_backward_rows(g, ut, mask, hs, ws, dhs, dxp, hpAll, rhAll, b0, b1); });
  if (n == 0) {
    std::fill(du, du + (long)U * 3 * U, 0.f);
    return nullptr;
  }
  const Epilogue none;
  // dU_zr [U, 2U] = hp^T [U, n] . dxp[:, 0:2U] ; dU_h [U, U] = rh^T . dxp[:, 2U:3U]   (ldc = 3U)
  gemm(AColMajor(hpAll, U), BRowMajor(dxp, 3L * U), U, 2 * U, n, du, 3L * U, 1.f, 0.f, none, true);
  gemm(AColMajor(rhAll, U), BRowMajor(dxp + 2 * U, 3L * U), U, U, n, du + 2 * U, 3L * U, 1.f, 0.f, none, true);
  return nullptr;
}
// ---- end GRU

// ---- attention: the core of multi-head self-attention per (sequence, head), as
// src/engine/kernels/attention.ts (equations and the JavaScript reference there). Sequences are
// independent: threads take whole sequences.

struct AttGeo {
  int B, L, D, H;
};

double exp_shift(const float* z, float shift, float* out, int n);  // the softmax cross-entropy block, below

// Per (sequence, head): K_h and V_h transposed into dh x L blocks so that every product is a row vector
// times a small matrix with the output in registers (vecmat), the softmax's exp vectorised (exp_shift).
void attention_forward_seq(const AttGeo& g, const float* q, const float* k, const float* v, const float* mask, float* o, float* p, int b) {
  const int L = g.L, D = g.D, H = g.H, dh = D / H;
  const float scale = 1.f / std::sqrt((float)dh);
  const float* m = mask + (long)b * L;
  std::vector<int> keys;
  for (int j = 0; j < L; ++j)
    if (m[j] != 0.f) keys.push_back(j);
  const bool anyKey = !keys.empty();
  const int nk = anyKey ? (int)keys.size() : L;
  if (!anyKey)
    for (int j = 0; j < L; ++j) keys.push_back(j);
  // kt: dh x nk (the keys that count), vk: nk x dh, both packed per head.
  std::vector<float> kt((size_t)dh * nk), vk((size_t)nk * dh), s(nk), e(nk);
  const long base = (long)b * L * D;
  for (int h = 0; h < H; ++h) {
    const int c = h * dh;
    for (int jj = 0; jj < nk; ++jj) {
      const float* kr = k + base + (long)keys[jj] * D + c;
      const float* vr = v + base + (long)keys[jj] * D + c;
      for (int t = 0; t < dh; ++t) kt[(size_t)t * nk + jj] = kr[t];
      std::memcpy(vk.data() + (size_t)jj * dh, vr, sizeof(float) * dh);
    }
    for (int i = 0; i < L; ++i) {
      float* prow = p + (((long)b * H + h) * L + i) * L;
      float* oi = o + base + (long)i * D + c;
      std::fill(prow, prow + L, 0.f);
      if (!anyKey) {
        // All keys are padding: softmax(s - 1e9) in float32 is uniform over all L keys.
        const float u = 1.f / L;
        std::fill(prow, prow + L, u);
        for (int jj = 0; jj < nk; ++jj) e[jj] = u;
      } else {
        vecmat(q + base + (long)i * D + c, dh, kt.data(), nk, nk, s.data(), false);
        float mx = -INFINITY;
        for (int jj = 0; jj < nk; ++jj) {
          s[jj] *= scale;
          mx = std::max(mx, s[jj]);
        }
        const double sum = exp_shift(s.data(), mx, e.data(), nk);
        const float inv = (float)(1.0 / sum);
        for (int jj = 0; jj < nk; ++jj) {
          e[jj] *= inv;
          prow[keys[jj]] = e[jj];
        }
      }
      vecmat(e.data(), nk, vk.data(), dh, dh, oi, false);
    }
  }
}

void attention_backward_seq(const AttGeo& g, const float* dout, const float* q, const float* k, const float* v, const float* p, float* dq, float* dk,
                            float* dv, int b) {
  const int L = g.L, D = g.D, H = g.H, dh = D / H;
  const float scale = 1.f / std::sqrt((float)dh);
  const long base = (long)b * L * D;
  std::fill(dq + base, dq + base + (long)L * D, 0.f);
  std::fill(dk + base, dk + base + (long)L * D, 0.f);
  std::fill(dv + base, dv + base + (long)L * D, 0.f);
  // vt: dh x L; ds, pt, dst: L x L; qh, kh, doh: L x dh (packed per head).
  std::vector<float> vt((size_t)dh * L), ds((size_t)L * L), pt((size_t)L * L), dst((size_t)L * L), dp(L), qh((size_t)L * dh), kh((size_t)L * dh),
      doh((size_t)L * dh), tmp(dh);
  for (int h = 0; h < H; ++h) {
    const int c = h * dh;
    for (int j = 0; j < L; ++j) {
      const float* vr = v + base + (long)j * D + c;
      for (int t = 0; t < dh; ++t) vt[(size_t)t * L + j] = vr[t];
      std::memcpy(qh.data() + (size_t)j * dh, q + base + (long)j * D + c, sizeof(float) * dh);
      std::memcpy(kh.data() + (size_t)j * dh, k + base + (long)j * D + c, sizeof(float) * dh);
      std::memcpy(doh.data() + (size_t)j * dh, dout + base + (long)j * D + c, sizeof(float) * dh);
    }
    const float* ph = p + ((long)b * H + h) * L * L;
    for (int i = 0; i < L; ++i) {
      const float* prow = ph + (long)i * L;
      vecmat(doh.data() + (size_t)i * dh, dh, vt.data(), L, L, dp.data(), false);  // dP row = dO_i V_h^T
      double dotp = 0;
      for (int j = 0; j < L; ++j) dotp += (double)dp[j] * prow[j];
      float* dsr = ds.data() + (size_t)i * L;
      for (int j = 0; j < L; ++j) dsr[j] = prow[j] == 0.f ? 0.f : (float)(prow[j] * (dp[j] - dotp)) * scale;
      vecmat(dsr, L, kh.data(), dh, dh, dq + base + (long)i * D + c, false);  // dQ_i = dS_i K_h
    }
    for (int i = 0; i < L; ++i)
      for (int j = 0; j < L; ++j) {
        pt[(size_t)j * L + i] = ph[(long)i * L + j];
        dst[(size_t)j * L + i] = ds[(size_t)i * L + j];
      }
    for (int j = 0; j < L; ++j) {
      vecmat(dst.data() + (size_t)j * L, L, qh.data(), dh, dh, dk + base + (long)j * D + c, false);  // dK_j = dS^T_j Q_h
      vecmat(pt.data() + (size_t)j * L, L, doh.data(), dh, dh, dv + base + (long)j * D + c, false);  // dV_j = P^T_j dO_h
    }
  }
}

bool read_att_geo(napi_env env, const Args& a, size_t at, AttGeo* g) {
  g->B = (int)a.num[at];
  g->L = (int)a.num[at + 1];
  g->D = (int)a.num[at + 2];
  g->H = (int)a.num[at + 3];
  if (g->B < 0 || g->L < 0 || g->D < 1 || g->H < 1 || g->D % g->H != 0) return throw_error(env, "bad attention geometry");
  return true;
}

// attentionForward(heap, qOff, kOff, vOff, maskOff, oOff, pOff, B, L, D, H)
napi_value AttentionForward(napi_env env, napi_callback_info info) {
  Args a;
  Heap h;
  AttGeo g;
  if (!get_args(env, info, &a, 11) || !get_heap(env, a.v[0], &h) || !read_att_geo(env, a, 7, &g)) return nullptr;
  const double n = (double)g.B * g.L * g.D;
  float *q, *k, *v, *mask, *o, *p;
  if (!get_floats(env, h, a.num[1], n, &q) || !get_floats(env, h, a.num[2], n, &k) || !get_floats(env, h, a.num[3], n, &v) ||
      !get_floats(env, h, a.num[4], (double)g.B * g.L, &mask) || !get_floats(env, h, a.num[5], n, &o) ||
      !get_floats(env, h, a.num[6], (double)g.B * g.H * g.L * g.L, &p))
    return nullptr;
  parallel_for(g.B, threads_for(4.0 * n * g.L), [&](int b) { attention_forward_seq(g, q, k, v, mask, o, p, b); });
  return nullptr;
}

// attentionBackward(heap, dyOff, qOff, kOff, vOff, pOff, dqOff, dkOff, dvOff, B, L, D, H)
napi_value AttentionBackward(napi_env env, napi_callback_info info) {
  Args a;
  Heap h;
  AttGeo g;
  if (!get_args(env, info, &a, 13) || !get_heap(env, a.v[0], &h) || !read_att_geo(env, a, 9, &g)) return nullptr;
  const double n = (double)g.B * g.L * g.D;
  float *dy, *q, *k, *v, *p, *dq, *dk, *dv;
  if (!get_floats(env, h, a.num[1], n, &dy) || !get_floats(env, h, a.num[2], n, &q) || !get_floats(env, h, a.num[3], n, &k) ||
      !get_floats(env, h, a.num[4], n, &v) || !get_floats(env, h, a.num[5], (double)g.B * g.H * g.L * g.L, &p) ||
      !get_floats(env, h, a.num[6], n, &dq) || !get_floats(env, h, a.num[7], n, &dk) || !get_floats(env, h, a.num[8], n, &dv))
    return nullptr;
  parallel_for(g.B, threads_for(8.0 * n * g.L), [&](int b) { attention_backward_seq(g, dy, q, k, v, p, dq, dk, dv, b); });
  return nullptr;
}
// ---- end attention

// ---- softmax cross-entropy: masked rows skipped, as src/engine/kernels/softmax-cross-entropy.ts
// (equations and the JavaScript reference there); exp on AVX2 by a Cephes-style polynomial (~1 ulp).

#ifdef MTL_X86
// out[k] = exp(z[k] - shift) for k < n; returns the sum (in double).
__attribute__((target("avx2,fma"))) double exp_shift_avx2(const float* z, float shift, float* out, int n) {
  const __m256 s = _mm256_set1_ps(shift);
  __m256 acc = _mm256_setzero_ps();
  int k = 0;
  for (; k + 8 <= n; k += 8) {
    const __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(z + k), s));
    if (out != nullptr) _mm256_storeu_ps(out + k, e);
    acc = _mm256_add_ps(acc, e);
  }
  float t[8];
  _mm256_storeu_ps(t, acc);
  double sum = 0;
  for (int i = 0; i < 8; ++i) sum += t[i];
  for (; k < n; ++k) {
    const float e = std::exp(z[k] - shift);
    if (out != nullptr) out[k] = e;
    sum += e;
  }
  return sum;
}
#endif
double exp_shift(const float* z, float shift, float* out, int n) {
#ifdef MTL_X86
  if (g_avx2) return exp_shift_avx2(z, shift, out, n);
#endif
  double sum = 0;
  for (int k = 0; k < n; ++k) {
    const float e = std::exp(z[k] - shift);
    if (out != nullptr) out[k] = e;
    sum += e;
  }
  return sum;
}

inline int sce_label(const float* labels, const float* mask, int n, int K) {
  const float y = labels[n];
  if (mask[n] == 0.f || !(y >= 0.f && y < (float)K) || y != std::floor(y)) return -1;
  return (int)y;
}

// softmaxCrossEntropy(heap, zOff, labelsOff, maskOff, nllOff, lseOff, N, K)
napi_value SoftmaxCrossEntropy(napi_env env, napi_callback_info info) {
  Args a;
  Heap h;
  if (!get_args(env, info, &a, 8) || !get_heap(env, a.v[0], &h)) return nullptr;
  const int N = (int)a.num[6], K = (int)a.num[7];
  if (N < 0 || K < 1) return throw_error(env, "bad softmax cross-entropy geometry"), nullptr;
  float *z, *labels, *mask, *nll, *lse;
  if (!get_floats(env, h, a.num[1], (double)N * K, &z) || !get_floats(env, h, a.num[2], N, &labels) || !get_floats(env, h, a.num[3], N, &mask) ||
      !get_floats(env, h, a.num[4], N, &nll) || !get_floats(env, h, a.num[5], N, &lse))
    return nullptr;
  for (int n = 0; n < N; ++n) {
    const int y = sce_label(labels, mask, n, K);
    if (y < 0) {
      nll[n] = 0.f;
      lse[n] = 0.f;
      continue;
    }
    const float* row = z + (long)n * K;
    float mx = row[0];
    for (int k = 1; k < K; ++k) mx = std::max(mx, row[k]);
    const double l = (double)mx + std::log(exp_shift(row, mx, nullptr, K));
    lse[n] = (float)l;
    nll[n] = (float)(l - row[y]);
  }
  return nullptr;
}

// softmaxCrossEntropyGrad(heap, dyOff, zOff, labelsOff, maskOff, lseOff, dzOff, N, K)
napi_value SoftmaxCrossEntropyGrad(napi_env env, napi_callback_info info) {
  Args a;
  Heap h;
  if (!get_args(env, info, &a, 9) || !get_heap(env, a.v[0], &h)) return nullptr;
  const int N = (int)a.num[7], K = (int)a.num[8];
  if (N < 0 || K < 1) return throw_error(env, "bad softmax cross-entropy geometry"), nullptr;
  float *dy, *z, *labels, *mask, *lse, *dz;
  if (!get_floats(env, h, a.num[1], N, &dy) || !get_floats(env, h, a.num[2], (double)N * K, &z) || !get_floats(env, h, a.num[3], N, &labels) ||
      !get_floats(env, h, a.num[4], N, &mask) || !get_floats(env, h, a.num[5], N, &lse) || !get_floats(env, h, a.num[6], (double)N * K, &dz))
    return nullptr;
  for (int n = 0; n < N; ++n) {
    float* d = dz + (long)n * K;
    const int y = sce_label(labels, mask, n, K);
    if (y < 0) {
      std::fill(d, d + K, 0.f);
      continue;
    }
    exp_shift(z + (long)n * K, lse[n], d, K);
    const float g = dy[n];
    for (int k = 0; k < K; ++k) d[k] *= g;
    d[y] -= g;
  }
  return nullptr;
}
// ---- end softmax cross-entropy

// ---- layer norm over the last axis, as src/engine/kernels/layer-norm.ts (equations and the JavaScript
// reference there); row statistics in double.

// layerNorm(heap, xOff, gammaOff, betaOff, yOff, meanOff, rstdOff, rows, D, eps)
napi_value LayerNorm(napi_env env, napi_callback_info info) {
  Args a;
  Heap h;
  if (!get_args(env, info, &a, 10) || !get_heap(env, a.v[0], &h)) return nullptr;
  const long rows = (long)a.num[7];
  const int D = (int)a.num[8];
  const double eps = a.num[9];
  if (rows < 0 || D < 1) return throw_error(env, "bad layer norm geometry"), nullptr;
  float *x, *gamma, *beta, *y, *mean, *rstd;
  if (!get_floats(env, h, a.num[1], (double)rows * D, &x) || !get_floats(env, h, a.num[2], D, &gamma) || !get_floats(env, h, a.num[3], D, &beta) ||
      !get_floats(env, h, a.num[4], (double)rows * D, &y) || !get_floats(env, h, a.num[5], rows, &mean) || !get_floats(env, h, a.num[6], rows, &rstd))
    return nullptr;
  for (long n = 0; n < rows; ++n) {
    const float* xr = x + n * D;
    float* yr = y + n * D;
    double s = 0;
    for (int j = 0; j < D; ++j) s += xr[j];
    const float mu = (float)(s / D);
    double v = 0;
    for (int j = 0; j < D; ++j) {
      const double d = (double)xr[j] - mu;
      v += d * d;
    }
    const float r = (float)(1.0 / std::sqrt((double)(float)(v / D) + eps));
    mean[n] = mu;
    rstd[n] = r;
    for (int j = 0; j < D; ++j) yr[j] = (xr[j] - mu) * r * gamma[j] + beta[j];
  }
  return nullptr;
}

// layerNormGrad(heap, dyOff, xOff, gammaOff, meanOff, rstdOff, dxOff, dgammaOff, dbetaOff, rows, D)
napi_value LayerNormGrad(napi_env env, napi_callback_info info) {
  Args a;
  Heap h;
  if (!get_args(env, info, &a, 11) || !get_heap(env, a.v[0], &h)) return nullptr;
  const long rows = (long)a.num[9];
  const int D = (int)a.num[10];
  if (rows < 0 || D < 1) return throw_error(env, "bad layer norm geometry"), nullptr;
  float *dy, *x, *gamma, *mean, *rstd, *dx, *dgamma, *dbeta;
  if (!get_floats(env, h, a.num[1], (double)rows * D, &dy) || !get_floats(env, h, a.num[2], (double)rows * D, &x) ||
      !get_floats(env, h, a.num[3], D, &gamma) || !get_floats(env, h, a.num[4], rows, &mean) || !get_floats(env, h, a.num[5], rows, &rstd) ||
      !get_floats(env, h, a.num[6], (double)rows * D, &dx) || !get_floats(env, h, a.num[7], D, &dgamma) || !get_floats(env, h, a.num[8], D, &dbeta))
    return nullptr;
  std::vector<double> dg(D, 0.0), db(D, 0.0);
  std::vector<float> xh(D);
  for (long n = 0; n < rows; ++n) {
    const float* xr = x + n * D;
    const float* g = dy + n * D;
    const float mu = mean[n], r = rstd[n];
    double sg = 0, sgx = 0;
    for (int j = 0; j < D; ++j) {
      xh[j] = (xr[j] - mu) * r;
      const float gj = g[j] * gamma[j];
      sg += gj;
      sgx += (double)gj * xh[j];
      dg[j] += (double)g[j] * xh[j];
      db[j] += g[j];
    }
    const float mg = (float)(sg / D), mgx = (float)(sgx / D);
    float* d = dx + n * D;
    for (int j = 0; j < D; ++j) d[j] = r * (g[j] * gamma[j] - mg - xh[j] * mgx);
  }
  for (int j = 0; j < D; ++j) {
    dgamma[j] = (float)dg[j];
    dbeta[j] = (float)db[j];
  }
  return nullptr;
}
// ---- end layer norm


// ---- elementwise gradients of the CNN blocks: the 2x2 max pool and the relu, one pass each over the
// wasm heap (the JavaScript max-pool gradient, src/engine/kernels/max-pool-grad.ts, costs ~2-3 ns an
// element; wasm's Step + Multiply for a relu gradient two passes and a temporary).

// One batch image of the 2x2 / stride 2 / no padding max-pool gradient, from the forward output y (each
// window's maximum): the window's gradient goes to its FIRST position equal to y (row-major), all four
// positions written (no separate zero fill), rows/columns no window covers (odd H / W) zeroed. Returns
// false when some window is not as y says (y not one of its values, a value above y or NaN, y = -inf):
// the caller then recomputes dx with the scan, as maxPoolGrad2x2 in max-pool-grad.ts does.
#ifdef MTL_X86
// Channels [0, C8) of one window row of max_pool_grad_2x2_image, 8 at a time (the same comparisons as
// the scalar loop, as masks); returns whether some lane was bad.
__attribute__((target("avx2,fma"))) bool max_pool_grad_2x2_avx2(const float* ym, const float* g, const float* x0, const float* x1, const float* x2,
                                                               const float* x3, float* d0, float* d1, float* d2, float* d3, int C8) {
  __m256 bad = _mm256_setzero_ps();
  const __m256 ninf = _mm256_set1_ps(-INFINITY), zero = _mm256_setzero_ps();
  for (int ch = 0; ch < C8; ch += 8) {
    const __m256 m = _mm256_loadu_ps(ym + ch);
    const __m256 v0 = _mm256_loadu_ps(x0 + ch), v1 = _mm256_loadu_ps(x1 + ch), v2 = _mm256_loadu_ps(x2 + ch), v3 = _mm256_loadu_ps(x3 + ch);
    const __m256 q0 = _mm256_cmp_ps(v0, m, _CMP_EQ_OQ), q1 = _mm256_cmp_ps(v1, m, _CMP_EQ_OQ), q2 = _mm256_cmp_ps(v2, m, _CMP_EQ_OQ),
                 q3 = _mm256_cmp_ps(v3, m, _CMP_EQ_OQ);
    const __m256 e0 = q0;
    const __m256 e1 = _mm256_andnot_ps(q0, q1);
    const __m256 s01 = _mm256_or_ps(q0, q1);
    const __m256 e2 = _mm256_andnot_ps(s01, q2);
    const __m256 s012 = _mm256_or_ps(s01, q2);
    const __m256 e3 = _mm256_andnot_ps(s012, q3);
    const __m256 any = _mm256_or_ps(s012, q3);
    const __m256 le = _mm256_and_ps(_mm256_and_ps(_mm256_cmp_ps(v0, m, _CMP_LE_OQ), _mm256_cmp_ps(v1, m, _CMP_LE_OQ)),
                                    _mm256_and_ps(_mm256_cmp_ps(v2, m, _CMP_LE_OQ), _mm256_cmp_ps(v3, m, _CMP_LE_OQ)));
    const __m256 ok = _mm256_and_ps(_mm256_and_ps(any, le), _mm256_cmp_ps(m, ninf, _CMP_GT_OQ));
    bad = _mm256_or_ps(bad, _mm256_xor_ps(ok, _mm256_castsi256_ps(_mm256_set1_epi32(-1))));
    const __m256 gv = _mm256_add_ps(_mm256_loadu_ps(g + ch), zero);
    _mm256_storeu_ps(d0 + ch, _mm256_and_ps(e0, gv));
    _mm256_storeu_ps(d1 + ch, _mm256_and_ps(e1, gv));
    _mm256_storeu_ps(d2 + ch, _mm256_and_ps(e2, gv));
    _mm256_storeu_ps(d3 + ch, _mm256_and_ps(e3, gv));
  }
  return _mm256_movemask_ps(bad) != 0;
}
#endif

bool max_pool_grad_2x2_image(const float* x, const float* y, const float* dy, float* dx, int H, int W, int C, int OH, int OW) {
  bool bad = false;
#ifdef MTL_X86
  const int C8 = g_avx2 ? C / 8 * 8 : 0;
#else
  const int C8 = 0;
#endif
  const long o1 = C, o2 = (long)W * C, o3 = o1 + o2;
  for (int oh = 0; oh < OH; ++oh) {
    for (int ow = 0; ow < OW; ++ow) {
      const long p0 = ((long)(2 * oh) * W + 2 * ow) * C;
      const long gi = ((long)oh * OW + ow) * C;
      const float* ym = y + gi;
      const float* g = dy + gi;
      const float *x0 = x + p0, *x1 = x + p0 + o1, *x2 = x + p0 + o2, *x3 = x + p0 + o3;
      float *d0 = dx + p0, *d1 = dx + p0 + o1, *d2 = dx + p0 + o2, *d3 = dx + p0 + o3;
      int b = 0;
#ifdef MTL_X86
      if (C8 > 0) b |= (int)max_pool_grad_2x2_avx2(ym, g, x0, x1, x2, x3, d0, d1, d2, d3, C8);
#endif
      for (int ch = C8; ch < C; ++ch) {
        const float m = ym[ch], v0 = x0[ch], v1 = x1[ch], v2 = x2[ch], v3 = x3[ch];
        const bool e0 = v0 == m, e1 = !e0 && v1 == m, e2 = !e0 && !e1 && v2 == m, e3 = !e0 && !e1 && !e2 && v3 == m;
        b |= (int)(!(e0 | e1 | e2 | e3)) | (int)!(v0 <= m) | (int)!(v1 <= m) | (int)!(v2 <= m) | (int)!(v3 <= m) | (int)!(m > -INFINITY);
        const float gv = g[ch] + 0.0f;  // + 0 turns -0 into +0, as the JavaScript kernel writes it
        d0[ch] = e0 ? gv : 0.0f;
        d1[ch] = e1 ? gv : 0.0f;
        d2[ch] = e2 ? gv : 0.0f;
        d3[ch] = e3 ? gv : 0.0f;
      }
      bad |= b != 0;
    }
    if (2 * OW < W) {  // the last column, in no window
      for (int r = 2 * oh; r < 2 * oh + 2; ++r) std::memset(dx + ((long)r * W + 2 * OW) * C, 0, sizeof(float) * (size_t)(W - 2 * OW) * C);
    }
  }
  if (2 * OH < H) std::memset(dx + (long)(2 * OH) * W * C, 0, sizeof(float) * (size_t)(H - 2 * OH) * W * C);
  return !bad;
}

// maxPoolGrad2x2(heap, xOff, yOff, dyOff, dxOff, B, H, W, C, OH, OW) -> whether every window was as y says
napi_value MaxPoolGrad2x2(napi_env env, napi_callback_info info) {
  Args a;
  Heap h;
  if (!get_args(env, info, &a, 11) || !get_heap(env, a.v[0], &h)) return nullptr;
  const int B = (int)a.num[5], H = (int)a.num[6], W = (int)a.num[7], C = (int)a.num[8], OH = (int)a.num[9], OW = (int)a.num[10];
  if (B < 0 || H < 0 || W < 0 || C < 0 || OH < 0 || OW < 0 || 2 * OH > H || 2 * OW > W) return throw_error(env, "bad max-pool geometry"), nullptr;
  const double img = (double)H * W * C, out = (double)OH * OW * C;
  float *x, *y, *dy, *dx;
  if (!get_floats(env, h, a.num[1], B * img, &x) || !get_floats(env, h, a.num[2], B * out, &y) || !get_floats(env, h, a.num[3], B * out, &dy) ||
      !get_floats(env, h, a.num[4], B * img, &dx))
    return nullptr;
  std::atomic<bool> ok{true};
  // ~1 ns an element: threads only above ~64k elements per thread.
  parallel_for(B, std::max(1, std::min(g_threads, (int)(B * img / 65536.0))), [&](int b) {
    const long i = (long)b * (long)img, o = (long)b * (long)out;
    if (!max_pool_grad_2x2_image(x + i, y + o, dy + o, dx + i, H, W, C, OH, OW)) ok.store(false, std::memory_order_relaxed);
  });
  napi_value r;
  napi_get_boolean(env, ok.load(), &r);
  return r;
}

// One batch image of the 2x2 / stride 2 / no padding max pool: each output is its window's maximum by a
// strict `>` scan from -inf in row-major window order (tfjs cpu's semantics: NaN never wins; a window of
// NaN / -inf gives -inf; of tied values, the first).
#ifdef MTL_X86
__attribute__((target("avx2,fma"))) void max_pool_2x2_avx2(const float* x0, const float* x1, const float* x2, const float* x3, float* y, int C8) {
  for (int ch = 0; ch < C8; ch += 8) {
    __m256 m = _mm256_set1_ps(-INFINITY);
    for (const float* xv : {x0, x1, x2, x3}) {
      const __m256 v = _mm256_loadu_ps(xv + ch);
      m = _mm256_blendv_ps(m, v, _mm256_cmp_ps(v, m, _CMP_GT_OQ));
    }
    _mm256_storeu_ps(y + ch, m);
  }
}
#endif

void max_pool_2x2_image(const float* x, float* y, int W, int C, int OH, int OW) {
#ifdef MTL_X86
  const int C8 = g_avx2 ? C / 8 * 8 : 0;
#else
  const int C8 = 0;
#endif
  const long o1 = C, o2 = (long)W * C;
  for (int oh = 0; oh < OH; ++oh) {
    for (int ow = 0; ow < OW; ++ow) {
      const long p0 = ((long)(2 * oh) * W + 2 * ow) * C;
      float* yo = y + ((long)oh * OW + ow) * C;
      const float *x0 = x + p0, *x1 = x + p0 + o1, *x2 = x + p0 + o2, *x3 = x + p0 + o1 + o2;
#ifdef MTL_X86
      if (C8 > 0) max_pool_2x2_avx2(x0, x1, x2, x3, yo, C8);
#endif
      for (int ch = C8; ch < C; ++ch) {
        float m = -INFINITY;
        for (const float* xv : {x0, x1, x2, x3}) {
          if (xv[ch] > m) m = xv[ch];
        }
        yo[ch] = m;
      }
    }
  }
}

// maxPool2x2(heap, xOff, yOff, B, H, W, C, OH, OW)
napi_value MaxPool2x2(napi_env env, napi_callback_info info) {
  Args a;
  Heap h;
  if (!get_args(env, info, &a, 9) || !get_heap(env, a.v[0], &h)) return nullptr;
  const int B = (int)a.num[3], H = (int)a.num[4], W = (int)a.num[5], C = (int)a.num[6], OH = (int)a.num[7], OW = (int)a.num[8];
  if (B < 0 || H < 0 || W < 0 || C < 0 || OH < 0 || OW < 0 || 2 * OH > H || 2 * OW > W) return throw_error(env, "bad max-pool geometry"), nullptr;
  const double img = (double)H * W * C, out = (double)OH * OW * C;
  float *x, *y;
  if (!get_floats(env, h, a.num[1], B * img, &x) || !get_floats(env, h, a.num[2], B * out, &y)) return nullptr;
  parallel_for(B, std::max(1, std::min(g_threads, (int)(B * img / 65536.0))), [&](int b) {
    max_pool_2x2_image(x + (long)b * (long)img, y + (long)b * (long)out, W, C, OH, OW);
  });
  return nullptr;
}

// dx = dy * step(y): dy where y > 0, dy * 0 where y <= 0 (so -0 for a negative dy, NaN for an infinite
// one), NaN where y is NaN: tfjs's relu gradient dy * step(y) bit for bit, in one pass.
void relu_grad_range(const float* __restrict dy, const float* __restrict y, float* __restrict dx, long i0, long i1) {
  for (long i = i0; i < i1; ++i) {
    const float v = y[i];
    const float s = v > 0.0f ? 1.0f : (v != v ? v : 0.0f);
    dx[i] = dy[i] * s;
  }
}

// reluGrad(heap, dyOff, yOff, dxOff, n)
napi_value ReluGrad(napi_env env, napi_callback_info info) {
  Args a;
  Heap h;
  if (!get_args(env, info, &a, 5) || !get_heap(env, a.v[0], &h)) return nullptr;
  const long n = (long)a.num[4];
  float *dy, *y, *dx;
  if (n < 0 || !get_floats(env, h, a.num[1], (double)n, &dy) || !get_floats(env, h, a.num[2], (double)n, &y) || !get_floats(env, h, a.num[3], (double)n, &dx))
    return nullptr;
  const long chunk = 1L << 16;
  const int items = (int)((n + chunk - 1) / chunk);
  parallel_for(items, g_threads, [&](int i) { relu_grad_range(dy, y, dx, i * chunk, std::min(n, (long)(i + 1) * chunk)); });
  return nullptr;
}
// ---- end max-pool and relu gradients


std::once_flag g_init_once;

}  // namespace

NAPI_MODULE_INIT() {
  std::call_once(g_init_once, [] {
    select_kernel();
    const char* t = std::getenv("MTL_NATIVE_THREADS");
    const int n = t != nullptr ? std::atoi(t) : 0;
    g_threads = n >= 1 ? std::min(64, n) : std::min(8, available_cpus());
    const char* spin = std::getenv("MTL_NATIVE_SPIN_US");
    if (spin != nullptr) g_spin_us = std::max(0, std::atoi(spin));
    if (std::getenv("MTL_NATIVE_IM2COL") != nullptr) g_indirect = false;
  });
  const struct {
    const char* name;
    napi_callback cb;
  } fns[] = {{"sgemm", Sgemm},
             {"conv2d", Conv2d},
             {"conv2dBackpropInput", Conv2dBackpropInput},
             {"conv2dBackpropFilter", Conv2dBackpropFilter},
             {"adamUpdate", AdamUpdate},
             {"gruForward", GruForward},
             {"gruBackward", GruBackward},
             {"attentionForward", AttentionForward},
             {"attentionBackward", AttentionBackward},
             {"softmaxCrossEntropy", SoftmaxCrossEntropy},
             {"softmaxCrossEntropyGrad", SoftmaxCrossEntropyGrad},
             {"layerNorm", LayerNorm},
             {"layerNormGrad", LayerNormGrad},
             {"maxPool2x2", MaxPool2x2},
             {"maxPoolGrad2x2", MaxPoolGrad2x2},
             {"reluGrad", ReluGrad},
             {"setThreads", SetThreads},
             {"setMinFlopsPerThread", SetMinFlopsPerThread},
             {"setIndirectConv", SetIndirectConv},
             {"info", Info}};
  for (const auto& f : fns) {
    napi_value fn;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, nullptr, &fn);
    napi_set_named_property(env, exports, f.name, fn);
  }
  return exports;
}
