# cmake/check_includes.cmake: run by smsgw_check_includes() (cmake/smsgw_room.cmake) with
#   -DROOM=<folder> -DALLOWED=<folder>|<folder>... -DFILES=<file>|<file>... -DSTAMP=<file>
# Fails when a file includes a project header ("folder/name.hpp") whose folder is not in
# ALLOWED; touches STAMP otherwise. System and library headers (<...>) are not checked.
cmake_minimum_required(VERSION 3.25)  # IN_LIST and friends in script mode
string(REPLACE "|" ";" files "${FILES}")
string(REPLACE "|" ";" allowed "${ALLOWED}")
set(errors "")
foreach(file IN LISTS files)
  file(STRINGS "${file}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\".*$" "\\1" header "${line}")
    get_filename_component(folder "${header}" DIRECTORY)
    if(folder STREQUAL "")
      continue()  # a header next to the file
    endif()
    if(NOT folder IN_LIST allowed)
      string(APPEND errors "\n  ${file}: forbidden include \"${header}\"")
    endif()
  endforeach()
endforeach()
if(errors)
  string(REPLACE ";" ", " allowed_text "${allowed}")
  message(FATAL_ERROR "forbidden include in ${ROOM}/:${errors}\n"
    "${ROOM}/ may include only from: ${allowed_text} (see docs/architecture.md)")
endif()
file(TOUCH "${STAMP}")
