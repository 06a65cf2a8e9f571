// tests/tools/ops_man_test.cpp: the man pages cannot drift from the code.
//   man/smsgw.toml.5 has one entry (.TP, then .B KEY) per configuration key and table, with the
//   same key list that ops_conf_test.cpp compares with docs/daemon.md and conf/smsgw.toml
//   (tests/tools/config_keys.hpp), and nothing else; each documented default is the parser's.
//   man/smsgw.8 has one entry per option of the real `smsgw --help`, and nothing else.
//   man/smsgwctl.1 names every option and verb of the real `smsgwctl --help` and its exit codes.
//   All are ASCII and format without a groff warning.
#include <catch2/catch.hpp>

#include <regex>
#include <set>

#include "tests/tools/config_keys.hpp"
#include "tests/tools/ops_util.hpp"

using namespace smsgw;
using namespace smsgw::ops_test;

namespace {

fs::path const source_dir = SMSGW_SOURCE_DIR;
fs::path const toml_page = source_dir / "man/smsgw.toml.5";
fs::path const daemon_page = source_dir / "man/smsgw.8";
fs::path const ctl_page = source_dir / "man/smsgwctl.1";

/// Roff text as a reader sees it: font changes dropped, \- and \e resolved.
std::string plain(std::string s) {
  s = std::regex_replace(s, std::regex(R"(\\f[BIRP])"), "");
  s = replace_all(s, "\\-", "-");
  return replace_all(s, "\\e", "\\");
}

/// The keys man/smsgw.toml.5 describes: every `.TP` entry's `.B KEY` and every name in a
/// `.SS "[table]"` / `.SS "[[table]]"` heading (`[carrier.tls]` names carrier and tls), in the
/// sections before ENVIRONMENT.
std::set<std::string> man_keys(std::string page) {
  page = page.substr(0, page.find("\n.SH ENVIRONMENT"));
  std::set<std::string> keys;
  add_matches(keys, page, R"(\n\.TP\n\.B ([A-Za-z0-9_\\-]+)\n)");
  std::regex heading(R"(\n\.SS "([^"]*)\")");
  for (std::sregex_iterator it(page.begin(), page.end(), heading), end; it != end; ++it) {
    auto text = (*it)[1].str();
    std::regex table(R"(\[\[?([a-z_.]+)\]\]?)");
    for (std::sregex_iterator t(text.begin(), text.end(), table), e; t != e; ++t) {
      std::string path = (*t)[1].str();
      for (std::size_t from = 0;;) {
        auto dot = path.find('.', from);
        keys.insert(path.substr(from, dot - from));
        if (dot == std::string::npos) break;
        from = dot + 1;
      }
    }
  }
  return keys;
}

bool ascii_only(std::string const& s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

}  // namespace

TEST_CASE("man/smsgw.toml.5 describes every configuration key, and no other") {
  auto page = slurp(toml_page);
  auto const known = config_keys(source_dir);
  auto const described = man_keys(page);
  REQUIRE(described.size() > 40);  // the extraction itself works
  for (auto const& k : known) {
    INFO("key missing from man/smsgw.toml.5: " << k);
    CHECK(described.count(k) == 1);
  }
  for (auto const& k : described) {
    INFO("man/smsgw.toml.5 describes a key the config does not know: " << k);
    CHECK(known.count(k) == 1);
  }
}

TEST_CASE("man/smsgw.toml.5 gives the parser's real defaults") {
  auto page = slurp(toml_page);
  for (auto const& [key, value] : parser_defaults()) {
    INFO(key);
    std::smatch m;
    // The entry: .TP / .B key / its lines up to "Default: VALUE" (before the next entry).
    REQUIRE(std::regex_search(page, m, std::regex("\\n\\.TP\\n\\.B " + key +
                                                  "\\n(?:(?!\\.TP\\n)[^\\n]*\\n)*?Default: ([^\\n]*)\\n")));
    CHECK(plain(m[1].str()) == value);
  }
}

TEST_CASE("man/smsgw.8 describes every option of smsgw --help, and no other") {
  auto help = run_command(std::string(SMSGW_DAEMON_EXE) + " --help");
  REQUIRE(help.exit_code == 0);
  std::set<std::string> options;
  add_matches(options, help.output, R"((--[a-z][a-z-]*))");
  REQUIRE(options.count("--check-config") == 1);  // the extraction itself works

  auto page = slurp(daemon_page);
  std::set<std::string> described;
  add_matches(described, page, R"(\n\.TP\n\.BI? (\\-\\-[a-z\\-]+))");
  std::set<std::string> described_plain;
  for (auto const& d : described) described_plain.insert(plain(d));
  CHECK(described_plain == options);
}

TEST_CASE("man/smsgwctl.1 names every option and verb of smsgwctl --help and its exit codes") {
  auto help = run_command(std::string(SMSGW_CTL_EXE) + " --help");
  REQUIRE(help.exit_code == 0);
  std::set<std::string> options;
  add_matches(options, help.output, R"((--[a-z][a-z-]*))");
  REQUIRE(options.count("--until-shutdown") == 1);  // the extraction itself works
  std::set<std::string> verbs;
  add_matches(verbs, help.output, R"(\n  ([a-z]+) )");
  REQUIRE(verbs.count("events") == 1);
  auto const page = plain(slurp(ctl_page));
  for (auto const& o : options) {
    INFO("option missing from man/smsgwctl.1: " << o);
    CHECK(page.find(o) != std::string::npos);
  }
  for (auto const& v : verbs) {
    INFO("verb missing from man/smsgwctl.1: " << v);
    bool const entry = page.find("\n.TP\n.B " + v + "\n") != std::string::npos ||
                       page.find("\n.TP\n.BI " + v + " ") != std::string::npos;
    CHECK(entry);
  }
  auto const status = page.substr(page.find(".SH EXIT STATUS"));
  for (auto code : {"0", "1", "2", "3", "4"}) CHECK(status.find(".TP\n.B " + std::string(code) + "\n") != std::string::npos);
}

TEST_CASE("the man pages are ASCII and format without warnings") {
  for (auto const& page : {toml_page, daemon_page, ctl_page}) {
    INFO(page.string());
    CHECK(ascii_only(slurp(page)));
    if (!have_command("groff")) {
      WARN("groff not installed: " << page.string() << " not formatted");
      continue;
    }
    auto r = run_command("groff -man -ww -z " + page.string());
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.empty());
  }
}
