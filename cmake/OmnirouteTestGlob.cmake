# omniroute_tests_in_folder(<prefix> DEPS ...): every *_test.cc in the current folder becomes
# its own test binary <prefix>_<stem>, so one broken file never blocks the others' build.
function(omniroute_tests_in_folder prefix)
  cmake_parse_arguments(G "" "" "DEPS;LABELS" ${ARGN})
  file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cc)
  foreach(src ${tests})
    get_filename_component(stem ${src} NAME_WE)
    omniroute_test(${prefix}_${stem} SOURCES ${src} DEPS ${G_DEPS} LABELS ${G_LABELS})
  endforeach()
endfunction()
