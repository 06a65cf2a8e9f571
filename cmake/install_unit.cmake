# cmake/install_unit.cmake: run at install time (install(CODE) in the top-level CMakeLists.txt).
# systemd/smsgw.service names the default prefix (/usr/local/bin/smsgw, its guide under
# /usr/local/share/doc/smsgw); the installed unit names the prefix it is really installed under
# (`cmake --install --prefix`, or CPack's /usr for the Debian package), so ExecStart= always
# points at the installed binary. Inputs: SMSGW_UNIT_SOURCE, SMSGW_UNIT_STAGING (a file in the
# build tree), SMSGW_BINDIR and SMSGW_DOCDIR (relative to the prefix); CMAKE_INSTALL_PREFIX is
# the install's own.
file(READ "${SMSGW_UNIT_SOURCE}" unit)
set(default_exec "ExecStart=/usr/local/bin/smsgw ")
set(default_doc "Documentation=file:/usr/local/share/doc/smsgw/")
foreach(expected IN ITEMS "${default_exec}" "${default_doc}")
  string(FIND "${unit}" "\n${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${SMSGW_UNIT_SOURCE} has no line starting '${expected}': update cmake/install_unit.cmake")
  endif()
endforeach()
string(REPLACE "\n${default_exec}" "\nExecStart=${CMAKE_INSTALL_PREFIX}/${SMSGW_BINDIR}/smsgw " unit "${unit}")
string(REPLACE "\n${default_doc}" "\nDocumentation=file:${CMAKE_INSTALL_PREFIX}/${SMSGW_DOCDIR}/" unit "${unit}")
# The comments name the default prefix too.
string(REPLACE "/usr/local/" "${CMAKE_INSTALL_PREFIX}/" unit "${unit}")
file(WRITE "${SMSGW_UNIT_STAGING}" "${unit}")
file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system" TYPE FILE
  PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ FILES "${SMSGW_UNIT_STAGING}")
