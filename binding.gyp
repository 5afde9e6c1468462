# nnlab native tfjs kernels (see native/src/addon.cc). Built by node-gyp at `npm install`; a failed
# build is not fatal (package.json "install" runs scripts/build-native.cjs, which warns in one line).
# The AVX2/FMA and AVX-512 micro-kernels are static libraries of their own, the only code compiled
# with -mavx2 -mfma or -mavx512f; gemm.cc picks them at run time with __builtin_cpu_supports, so the
# addon runs on any x86-64.
# Other architectures build the portable kernel only.
{
  "targets": [
    {
      "target_name": "nnlab_native",
      "sources": [
        "native/src/addon.cc",
        "native/src/gemm.cc",
        "native/src/conv.cc",
        "native/src/optim.cc",
        "native/src/elementwise.cc"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O3", "-fvisibility=hidden"],
      "cflags_cc": ["-O3", "-std=c++17", "-fvisibility=hidden", "-fno-math-errno", "-ffp-contract=off"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_OPTIMIZATION_LEVEL": "3"
      },
      "conditions": [
        ["target_arch=='x64' or target_arch=='ia32'", {
          "dependencies": ["nnlab_avx2", "nnlab_avx512"],
          "defines": ["NNLAB_HAVE_AVX2_TU", "NNLAB_HAVE_AVX512_TU"]
        }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64' or target_arch=='ia32'", {
      "targets": [
        {
          "target_name": "nnlab_avx2",
          "type": "static_library",
          "sources": ["native/src/gemm_avx2.cc"],
          "cflags": ["-O3", "-fPIC", "-mavx2", "-mfma"],
          "cflags_cc": ["-O3", "-std=c++17", "-fPIC", "-mavx2", "-mfma"],
          "xcode_settings": {
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "GCC_OPTIMIZATION_LEVEL": "3",
            "OTHER_CPLUSPLUSFLAGS": ["-mavx2", "-mfma"]
          },
          "msvs_settings": {
            "VCCLCompilerTool": { "AdditionalOptions": ["/arch:AVX2"] }
          }
        },
        {
          "target_name": "nnlab_avx512",
          "type": "static_library",
          "sources": ["native/src/gemm_avx512.cc"],
          "cflags": ["-O3", "-fPIC", "-mavx512f"],
          "cflags_cc": ["-O3", "-std=c++17", "-fPIC", "-mavx512f"],
          "xcode_settings": {
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "GCC_OPTIMIZATION_LEVEL": "3",
            "OTHER_CPLUSPLUSFLAGS": ["-mavx512f"]
          },
          "msvs_settings": {
            "VCCLCompilerTool": { "AdditionalOptions": ["/arch:AVX512"] }
          }
        }
      ]
    }]
  ]
}
