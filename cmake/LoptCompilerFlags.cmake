# Flags of the CPU launchers. -fno-math-errno lets g++ vectorise sqrtf (perf-notes.md: 3-4x on
# the Adam step); no -ffast-math, so NaN/Inf tests and IEEE rounding are kept.
# -ffp-contract=off keeps a*b+c unfused so the CPU result does not depend on the host's FMA.
# -fno-trapping-math lets g++ if-convert the non-finite selects (FP exceptions are never
# inspected; rounding, NaN and Inf results are unchanged).
set(LOPT_CPU_FLAGS -O3 -fno-math-errno -fno-trapping-math -ffp-contract=off -Wall -Wextra -Werror)
option(LOPT_NATIVE_ARCH "Tune the CPU library for this machine (-march=native)" OFF)
if(LOPT_NATIVE_ARCH)
  list(APPEND LOPT_CPU_FLAGS -march=native)
endif()

# The x86-64-v3 variant (AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE): 8-lane float math for the
# compute-bound HRNN step. -ffp-contract=off above still holds, so no a*b+c becomes an FMA and
# every kernel gives the baseline library's bits. Compilers older than -march=x86-64-v3 (g++ 11)
# get the same features one by one. Empty (no variant) off x86-64.
set(LOPT_CPU_V3_FLAGS "")
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  include(CheckCXXCompilerFlag)
  check_cxx_compiler_flag(-march=x86-64-v3 LOPT_HAS_MARCH_X86_64_V3)
  if(LOPT_HAS_MARCH_X86_64_V3)
    set(LOPT_CPU_V3_FLAGS -march=x86-64-v3)
  else()
    set(LOPT_CPU_V3_FLAGS -mavx -mavx2 -mfma -mbmi -mbmi2 -mf16c -mlzcnt -mmovbe)
  endif()
endif()
