// tests/catch_main.cpp: Catch2 v2's main(), compiled once and shared by every test executable.
// It refuses to run tests (exit 2) when a test case name holds a ';': catch_discover_tests
// splits the listed names on ';', so such a case becomes two CTest tests whose filters match
// nothing and that would "pass" without running anything. Listing still works (so discovery
// registers those two halves), and each of them then fails here, naming the case.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>

int main(int argc, char* argv[]) {
  Catch::Session session;
  if (int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  if (session.config().listTestNamesOnly()) return session.run();
  bool bad = false;
  for (auto const& test : Catch::getAllTestCasesSorted(session.config())) {
    if (test.name.find(';') != std::string::npos) {
      std::fprintf(stderr, "test case name holds a ';' (CTest would never run it): %s\n",
                   test.name.c_str());
      bad = true;
    }
  }
  if (bad) return 2;
  return session.run();
}
