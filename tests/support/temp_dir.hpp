// tests/support/temp_dir.hpp: the one temp_dir of the tests: a fresh directory per test under
// $TMPDIR (or the system temp dir), made with mkdtemp, removed with everything in it afterwards
// (config files, queue databases, sockets, DLR logs) unless SMSGW_TEST_KEEP or SMSGW_E2E_KEEP
// is set: then its path is printed for a post-mortem.
#pragma once

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace smsgw::test {

class temp_dir {
 public:
  temp_dir() {
    char const* base = std::getenv("TMPDIR");
    auto root = base && *base ? std::filesystem::path(base) : std::filesystem::temp_directory_path();
    // mkdtemp: created atomically with a name no other test (or process) holds.
    auto pattern = (root / "smsgw-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp " + pattern);
    path_ = pattern;
  }
  ~temp_dir() {
    if (std::getenv("SMSGW_TEST_KEEP") || std::getenv("SMSGW_E2E_KEEP")) {
      std::fprintf(stderr, "test: kept %s\n", path_.c_str());
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(temp_dir const&) = delete;
  temp_dir& operator=(temp_dir const&) = delete;

  std::filesystem::path const& path() const noexcept { return path_; }
  std::filesystem::path operator/(std::string const& name) const { return path_ / name; }
  /// The path of `name` in the directory, as a string (default: a queue database).
  std::string file(std::string const& name = "queue.db") const { return (path_ / name).string(); }
  /// Writes `text` to `name` in the directory; returns its path.
  std::string write(std::string const& name, std::string const& text) const {
    std::ofstream(path_ / name) << text;
    return file(name);
  }

 private:
  std::filesystem::path path_;
};

}  // namespace smsgw::test
