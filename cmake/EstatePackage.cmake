# Install rules and the Debian package (CPack, DEB generator).
#   cmake --install build/release --prefix /opt/estate      # bin/, share/estate/, share/doc/estate/, ...
#   cpack --preset release                                  # build/release/estate_<version>_amd64.deb
# The installed binary finds the shipped scenarios at bin/../share/estate (harness/locate.h),
# so a relocated prefix works.
include(GNUInstallDirs)

# Completion and manual page, written by the estate just built from its own command-line
# definitions (harness/cli_docs.h), so a new command or option appears without an edit here.
set(estate_completion "${PROJECT_BINARY_DIR}/completion/estate")
set(estate_man "${PROJECT_BINARY_DIR}/man/estate.1.gz")
add_custom_command(OUTPUT "${estate_completion}" "${estate_man}"
  COMMAND "${CMAKE_COMMAND}" "-DESTATE=$<TARGET_FILE:estate>" "-DCOMPLETION=${estate_completion}" "-DMAN=${estate_man}"
          -P "${PROJECT_SOURCE_DIR}/cmake/EstateCliDocs.cmake"
  DEPENDS estate "${PROJECT_SOURCE_DIR}/cmake/EstateCliDocs.cmake"
  COMMENT "Writing estate's bash completion and manual page" VERBATIM)
add_custom_target(estate_cli_docs ALL DEPENDS "${estate_completion}" "${estate_man}")

install(TARGETS estate RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
# Scenarios with the order logs they replay (scenarios/traces/), so every one runs installed.
install(DIRECTORY scenarios/ DESTINATION "${CMAKE_INSTALL_DATADIR}/estate/scenarios"
        FILES_MATCHING PATTERN "*.json" PATTERN "*.csv" PATTERN "*.jsonl")
install(FILES contract/openapi.yaml DESTINATION "${CMAKE_INSTALL_DATADIR}/estate/contract")
install(FILES "${estate_completion}" DESTINATION "${CMAKE_INSTALL_DATADIR}/bash-completion/completions")
install(FILES "${estate_man}" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1")
# The documentation keeps the repository's layout, so the README's relative links hold.
install(FILES README.md ARCHITECTURE.md DESTINATION "${CMAKE_INSTALL_DOCDIR}")
install(FILES docs/metrics.md docs/capacity.md DESTINATION "${CMAKE_INSTALL_DOCDIR}/docs")
install(DIRECTORY deploy DESTINATION "${CMAKE_INSTALL_DOCDIR}")
install(DIRECTORY examples/ci DESTINATION "${CMAKE_INSTALL_DOCDIR}/examples" PATTERN ".yamllint" EXCLUDE)
# report.html embeds uPlot (MIT): its notice goes with the binary.
install(FILES third_party/uplot/LICENSE DESTINATION "${CMAKE_INSTALL_DOCDIR}/third_party/uplot")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME estate)
set(CPACK_PACKAGE_VENDOR "estate")
set(ESTATE_PACKAGE_MAINTAINER "estate maintainers <maintainers@estate.invalid>" CACHE STRING
  "The Maintainer field of the Debian package (the project names none yet)")
set(CPACK_PACKAGE_CONTACT "${ESTATE_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "simulation and load-testing harness for order and inventory sync pipelines")
# The synopsis is the summary above; this is the extended description below it.
# (lintian: lines of at most 80 characters).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "estate mocks an ERP, warehouse systems, a 3PL and sales channels, runs a
sync pipeline between them in deterministic simulated time (or live over HTTP
against yours), and reports latency per flow, oversell, reconciliation
variance and integrity, with thresholds and baselines for a CI gate
(junit.xml, summary.md, report.html).")
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # estate_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)   # Depends from dpkg-shlibdeps (libc6, libstdc++6, ...)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_CHECKSUM SHA256)
include(CPack)
