# One helper so every target gets the same warnings, include root and sanitizers.
set(OMNIROUTE_WARNINGS -Wall -Wextra -Wnon-virtual-dtor -Woverloaded-virtual -Wold-style-cast)

function(omniroute_apply_flags target)
  target_compile_options(${target} PRIVATE ${OMNIROUTE_WARNINGS})
  if(OMNIROUTE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(OMNIROUTE_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer)
    # GCC's uninitialized-use analysis misfires on ASan-instrumented code (in Beast's parser,
    # boost::optional); the plain build keeps the warning as an error.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
    endif()
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# omniroute_module(<name> SOURCES ... [DEPS ...]): a static library for one folder.
function(omniroute_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${M_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(${name} PUBLIC ${M_DEPS})
  omniroute_apply_flags(${name})
endfunction()

# omniroute_test(<name> SOURCES ... DEPS ...): a Catch2 test binary registered with CTest.
# Each TEST_CASE becomes one CTest test; integration tests carry the label "redis".
function(omniroute_test name)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} omniroute_testmain)
  # Tests find their data from here, not from __FILE__ (which ccache or a build may relativise).
  target_compile_definitions(${name} PRIVATE OMNIROUTE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  omniroute_apply_flags(${name})
  set(props TIMEOUT 120)
  if(OMNIROUTE_SANITIZE)
    set(props TIMEOUT 600)  # instrumented code runs several times slower (property tests)
  endif()
  if(T_LABELS)
    list(APPEND props LABELS "${T_LABELS}")
  endif()
  catch_discover_tests(${name} PROPERTIES ${props} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endfunction()
include(${CMAKE_CURRENT_LIST_DIR}/OmnirouteTestGlob.cmake)
