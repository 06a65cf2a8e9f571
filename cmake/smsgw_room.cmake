# cmake/smsgw_room.cmake: smsgw_room(), one folder = one library whose project includes are
# checked at build time: a source of the folder that includes a header of a folder it may not
# know fails the build (cmake/check_includes.cmake), naming the file, the include and the
# folders allowed. docs/architecture.md draws the allowed dependencies.
#
#   smsgw_room(<target> [SOURCES <files>...] [MAY_INCLUDE <folders>...] [LINK <targets>...])
#
# SOURCES defaults to every *.cpp of the folder. MAY_INCLUDE lists project folders relative
# to the repository root ("smpp", "daemon/link"); the folder itself is always allowed.
# LINK is passed to target_link_libraries(PUBLIC).
function(smsgw_room target)
  cmake_parse_arguments(arg "" "" "SOURCES;MAY_INCLUDE;LINK" ${ARGN})
  if(NOT arg_SOURCES)
    file(GLOB arg_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  endif()
  add_library(${target} STATIC ${arg_SOURCES})
  target_link_libraries(${target} PUBLIC smsgw_options ${arg_LINK})
  smsgw_check_includes(${target} ${arg_MAY_INCLUDE})
endfunction()

# smsgw_check_includes(<target> <folders it may include>...): the check alone, for a library
# declared by hand. Every *.hpp and *.cpp of the current folder is checked.
function(smsgw_check_includes target)
  file(RELATIVE_PATH room ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR})
  file(GLOB files CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/*.hpp)
  # '|' rather than ';' so the lists pass through one -D argument each.
  string(REPLACE ";" "|" files_arg "${files}")
  string(REPLACE ";" "|" allowed_arg "${room};${ARGN}")
  set(stamp ${CMAKE_CURRENT_BINARY_DIR}/${target}.includes-checked)
  add_custom_command(OUTPUT ${stamp}
    COMMAND ${CMAKE_COMMAND} -DROOM=${room} -DALLOWED=${allowed_arg} -DFILES=${files_arg}
      -DSTAMP=${stamp} -P ${PROJECT_SOURCE_DIR}/cmake/check_includes.cmake
    DEPENDS ${files} ${PROJECT_SOURCE_DIR}/cmake/check_includes.cmake
    COMMENT "Checking what ${room}/ includes"
    VERBATIM)
  add_custom_target(${target}_includes DEPENDS ${stamp})
  add_dependencies(${target} ${target}_includes)
endfunction()
