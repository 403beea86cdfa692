# Warnings and sanitizers live on two INTERFACE targets that every library links.
add_library(estate_warnings INTERFACE)
target_compile_options(estate_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  -Wdouble-promotion -Wimplicit-fallthrough)
# In a unity build a source file is #included into another, so GCC takes a class it defines
# for a type in its anonymous namespace for a header's (-Wsubobject-linkage); it is not one.
if(CMAKE_UNITY_BUILD AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(estate_warnings INTERFACE -Wno-subobject-linkage)
endif()
# Warnings are errors in the presets and CI (ESTATE_WERROR=ON there), not in every build: a
# plain `cmake -B b && cmake --build b` with another compiler version must not fail on a new
# warning (GCC 12 at -O3 has false positives, -Wrestrict among them).
if(ESTATE_WERROR)
  target_compile_options(estate_warnings INTERFACE -Werror)
endif()

add_library(estate_sanitizers INTERFACE)
if(ESTATE_SANITIZE)
  target_compile_options(estate_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(estate_sanitizers INTERFACE -fsanitize=address,undefined)
endif()

# estate_library(NAME sources... DEPS deps...) : one CMake library per folder.
function(estate_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(estate_${name} STATIC ${ARG_SOURCES})
  add_library(estate::${name} ALIAS estate_${name})
  target_include_directories(estate_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(estate_${name} PUBLIC ${ARG_DEPS} estate_sanitizers PRIVATE estate_warnings)
endfunction()
