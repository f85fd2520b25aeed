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
