#pragma once
// Assertions are for our own bugs (a broken invariant in sim/, mocks/ or pipeline/), never
// for bad user input, which is an InputError with exit code 2. They stay on in every build.
#include <cstdio>
#include <cstdlib>

#define ESTATE_ASSERT(cond, msg)                                                        \
  do {                                                                                  \
    if (!(cond)) [[unlikely]] {                                                         \
      std::fprintf(stderr, "%s:%d: assertion failed: %s: %s\n", __FILE__, __LINE__,     \
                   #cond, msg);                                                         \
      std::abort();                                                                     \
    }                                                                                   \
  } while (false)
