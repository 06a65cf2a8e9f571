// tests/support/temp_dir.hpp: a fresh directory under the system temp dir per test, removed
// with everything in it afterwards (config files, queue databases, sockets, DLR logs).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace smsgw::test {

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    // mkdtemp: created atomically with a name no other test (or process) holds.
    auto pattern = (std::filesystem::temp_directory_path() / "smsgw-daemon-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp " + pattern);
    path = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  temp_dir(temp_dir const&) = delete;
  temp_dir& operator=(temp_dir const&) = delete;
  std::string file(std::string const& name) const { return (path / name).string(); }
  /// Writes `text` to `name` in the directory; returns its path.
  std::string write(std::string const& name, std::string const& text) const {
    std::ofstream(path / name) << text;
    return file(name);
  }
};

}  // namespace smsgw::test
