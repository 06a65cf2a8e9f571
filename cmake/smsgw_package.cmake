# cmake/smsgw_package.cmake: the Debian package, built by CPack (`cpack -G DEB` in the build
# directory; tools/test.sh's `deb` stage builds, installs, checks and removes it).
# The package holds what `cmake --install` installs, under /usr instead of /usr/local (the
# unit's ExecStart= follows: cmake/install_unit.cmake), plus what only a package may write in
# /etc, in the component "etc" that a plain `cmake --install` leaves out (EXCLUDE_FROM_ALL):
#   /etc/smsgw/smsgw.toml     the example config (placeholders), a conffile; postinst makes it
#                             0640 root:smsgw, like /etc/smsgw and /etc/smsgw/tls (0750)
#   /etc/logrotate.d/smsgw    the DLR log's rotation, a conffile
# Maintainer scripts: packaging/debian/ (postinst: systemd-sysusers, modes, daemon-reload, never
# enables nor starts smsgw; prerm: stop on remove; postrm: daemon-reload, purge).

install(FILES conf/smsgw.toml DESTINATION /etc/smsgw
  PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ COMPONENT etc EXCLUDE_FROM_ALL)
install(FILES systemd/smsgw.logrotate DESTINATION /etc/logrotate.d RENAME smsgw
  PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ COMPONENT etc EXCLUDE_FROM_ALL)
install(DIRECTORY DESTINATION /etc/smsgw/tls COMPONENT etc EXCLUDE_FROM_ALL)
# Not world-readable even between unpacking and postinst (which gives them to group smsgw).
install(CODE [[
  foreach(dir "$ENV{DESTDIR}/etc/smsgw" "$ENV{DESTDIR}/etc/smsgw/tls")
    file(CHMOD "${dir}" DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE)
  endforeach()
]] COMPONENT etc EXCLUDE_FROM_ALL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME smsgw)
set(CPACK_PACKAGE_VENDOR "smsgw")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "OTP SMS gateway: HTTP/JSON on a Unix socket to SMPP 3.4 carriers")
set(CPACK_PACKAGE_DESCRIPTION "smsgw takes OTP and other SMS requests as HTTP/JSON on a Unix socket,
stores each durably in SQLite before answering, and delivers them over persistent SMPP 3.4
binds to the carriers' SMSCs, recording delivery receipts. The package installs the daemon,
its systemd unit (not enabled, not started), the smsgw user (systemd-sysusers), an example
configuration in /etc/smsgw/smsgw.toml to be completed by the operator, smsgwctl, the
operator's command-line client of the API socket, and smsgw-pdu, a tool that decodes and
encodes SMPP PDUs.")
# Everything installs under /usr; the files of component "etc" have absolute paths, which
# needs DESTDIR packaging (CPack then runs the install with CMAKE_INSTALL_PREFIX=/usr, which is
# also what cmake/install_unit.cmake writes into the unit).
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)  # the prefix of the install run under CPACK_SET_DESTDIR
set(CPACK_SET_DESTDIR ON)
# One package of both components: the default one and "etc".
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL Unspecified etc)
set(CPACK_DEBIAN_PACKAGE_NAME smsgw)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "smsgw maintainers <smsgw@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Libraries from dpkg-shlibdeps (dpkg-dev); systemd for systemd-sysusers in postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
  ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
  ${PROJECT_SOURCE_DIR}/packaging/debian/postrm
  ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
