# The layering_includes test: every `#include "LAYER/..."` under src/ must name the file's own
# layer or one that cmake/layers.cmake allows it. Run as
#   cmake -DSOURCE_DIR=<repository> -P cmake/check_layer_includes.cmake
cmake_minimum_required(VERSION 3.25)
include(${CMAKE_CURRENT_LIST_DIR}/layers.cmake)

set(violations "")
set(checked 0)
foreach(layer IN LISTS ATTESTMQ_LAYERS)
  file(GLOB files ${SOURCE_DIR}/src/${layer}/*.cpp ${SOURCE_DIR}/src/${layer}/*.hpp)
  foreach(file IN LISTS files)
    math(EXPR checked "${checked} + 1")
    file(STRINGS ${file} includes REGEX "^[ \t]*#[ \t]*include[ \t]+\"[a-z_]+/")
    foreach(line IN LISTS includes)
      string(REGEX REPLACE "^[^\"]*\"([a-z_]+)/.*$" "\\1" used "${line}")
      if(NOT used STREQUAL layer AND used IN_LIST ATTESTMQ_LAYERS AND
         NOT used IN_LIST ATTESTMQ_LAYER_USES_${layer})
        list(APPEND violations "src/${layer} may not use ${used}/: ${file}: ${line}")
      endif()
    endforeach()
  endforeach()
endforeach()

# No files at all would pass while checking nothing.
if(checked EQUAL 0)
  message(FATAL_ERROR "no sources found under ${SOURCE_DIR}/src")
endif()
if(violations)
  list(JOIN violations "\n" text)
  message(FATAL_ERROR "includes outside the layer map (cmake/layers.cmake):\n${text}")
endif()
message(STATUS "${checked} files under src/ include only the layers they may use")
