// tests/tools/cli_test.cpp: runs the real smsgw-pdu binary (SMSGW_PDU_BIN) as an operator
// would, on the annotated captures in tests/tools/captures/, through posix_spawn with stdin,
// stdout and stderr redirected to files. Checks the JSON it prints, that decode -> encode
// gives back the captured octets, and that errors name the field and offset and exit non-zero.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/parser.hpp>

extern char** environ;

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

struct run_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string slurp(fs::path const& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

/// Runs smsgw-pdu with `args`, feeding `input` on stdin; waits for it to exit.
run_result run_tool(std::vector<std::string> const& args, std::string const& input = {}) {
  static int counter = 0;
  fs::path const dir = fs::temp_directory_path() /
                       ("smsgw-cli-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::create_directories(dir);
  std::ofstream(dir / "in", std::ios::binary) << input;

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, (dir / "in").c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, (dir / "out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, (dir / "err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> argv_storage{SMSGW_PDU_BIN};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t pid = 0;
  int const rc = posix_spawn(&pid, SMSGW_PDU_BIN, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE(rc == 0);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  run_result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(dir / "out");
  r.err = slurp(dir / "err");
  fs::remove_all(dir);
  return r;
}

fs::path capture(std::string const& name) {
  return fs::path(SMSGW_SOURCE_DIR) / "tests/tools/captures" / name;
}

/// The hex lines of a capture file (comments and blank lines dropped).
std::vector<std::string> capture_lines(std::string const& name) {
  std::ifstream f(capture(name));
  REQUIRE(f);
  std::vector<std::string> lines;
  for (std::string line; std::getline(f, line);)
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  return lines;
}

std::vector<json::value> json_lines(std::string const& text) {
  std::vector<json::value> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

/// Strips everything but hex digits (and 0x prefixes) so captures can be compared with output.
std::string plain_hex(std::string const& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '0' && i + 1 < s.size() && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
      ++i;
      continue;
    }
    if (std::isxdigit(static_cast<unsigned char>(s[i]))) out.push_back(static_cast<char>(std::tolower(s[i])));
  }
  return out;
}

}  // namespace

TEST_CASE("smsgw-pdu decode prints an OTP submit_sm capture as JSON") {
  auto const r = run_tool({"decode", "--compact", "-"}, slurp(capture("otp_submit_sm.hex")));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto const pdus = json_lines(r.out);
  REQUIRE(pdus.size() == 1);
  auto const& p = pdus[0];
  CHECK(p.at("command_name") == "submit_sm");
  CHECK(p.at("command_length") == 93);
  CHECK(p.at("body").at("destination_addr") == "6281234567890");
  CHECK(p.at("body").at("validity_period") == "000000000500000R");
  CHECK(p.at("tlvs").at(0).at("name") == "user_message_reference");
  CHECK(p.at("tlvs").at(1).at("hex") == "0102");
  CHECK(p.at("decoded").at("text") == "Kode OTP: 482913");
}

TEST_CASE("smsgw-pdu decode --redact hides the OTP code of a capture") {
  auto const r = run_tool({"decode", "--compact", "--redact", "-"},
                          slurp(capture("otp_submit_sm.hex")));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("482913") == std::string::npos);
  auto const p = json_lines(r.out).at(0);
  CHECK(p.at("body").at("destination_addr") == "6281234567890");
  CHECK(p.at("decoded").at("text") == "Kode OTP: ******");
  // encode does not take --redact: a redacted capture is for reading, not for replaying.
  CHECK(run_tool({"encode", "--redact", "{}"}).exit_code == 2);
}

TEST_CASE("smsgw-pdu decode of a receipt shows the parsed receipt") {
  auto const r = run_tool({"decode", "--compact", "-"}, slurp(capture("receipt_deliver_sm.hex")));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto const p = json_lines(r.out).at(0);
  auto const& receipt = p.at("decoded").at("receipt");
  CHECK(receipt.at("message_id") == "33E95179");  // TLV wins over the text's decimal id
  CHECK(receipt.at("text_fields").at("id") == "0870928761");
  CHECK(receipt.at("state_name") == "DELIVRD");
  CHECK(receipt.at("success") == true);
}

TEST_CASE("smsgw-pdu decode of a concatenated UCS-2 part shows the UDH and the emoji") {
  auto const r = run_tool({"decode", "--compact", "-"}, slurp(capture("concat_ucs2_deliver_sm.hex")));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto const pdus = json_lines(r.out);
  auto const& d = pdus.at(0).at("decoded");
  CHECK(d.at("encoding") == "ucs2");
  CHECK(d.at("text") == "Halo \xF0\x9F\x98\x80");
  CHECK(d.at("concat").at("scheme") == "udh8");
  CHECK(d.at("concat").at("reference") == 42);
  CHECK(d.at("concat").at("total") == 2);
  CHECK(d.at("concat").at("seqnum") == 1);
}

TEST_CASE("smsgw-pdu decode splits a stream capture given as separate arguments") {
  // The colon/space/0x-formatted line, passed word by word as a shell would split it.
  std::vector<std::string> args{"decode"};
  std::istringstream words(capture_lines("stream.hex").at(0));
  for (std::string w; words >> w;) args.push_back(w);
  auto const r = run_tool(args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // Pretty output: three objects one after the other.
  std::vector<std::string> names;
  std::size_t pos = 0;
  while (pos < r.out.size()) {
    pos = r.out.find('{', pos);
    if (pos == std::string::npos) break;
    boost::system::error_code ec;
    json::parser one;
    pos += one.write_some(r.out.data() + pos, r.out.size() - pos, ec);
    REQUIRE_FALSE(ec);
    names.emplace_back(one.release().at("command_name").as_string());
  }
  CHECK(names == std::vector<std::string>{"submit_sm_resp", "enquire_link", "enquire_link_resp"});
}

TEST_CASE("smsgw-pdu decode -> encode gives back the captured octets") {
  auto const name = GENERATE(as<std::string>{}, "otp_submit_sm.hex", "receipt_deliver_sm.hex",
                             "concat_ucs2_deliver_sm.hex", "stream.hex");
  INFO(name);
  auto const decoded = run_tool({"decode", "--compact", "-"}, slurp(capture(name)));
  REQUIRE(decoded.exit_code == 0);
  auto const encoded = run_tool({"encode"}, decoded.out);
  INFO(encoded.err);
  REQUIRE(encoded.exit_code == 0);
  std::string joined;
  for (auto const& l : capture_lines(name)) joined += plain_hex(l);
  CHECK(plain_hex(encoded.out) == joined);
}

TEST_CASE("smsgw-pdu encode builds an OTP submit_sm from text") {
  auto const r = run_tool({"encode", R"({"command_name":"submit_sm","sequence_number":7,
      "body":{"source_addr_ton":5,"source_addr":"OTP","dest_addr_ton":1,"dest_addr_npi":1,
              "destination_addr":"6281234567890","text":"Kode OTP: 482913"}})"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // Header (length 0x41 = 65, submit_sm, status 0, seq 7), then the fields in spec order.
  CHECK(r.out == "000000410000000400000000000000070005004f54500001013632383132333435363738393000"
                 "000000000000000000104b6f6465204f54503a20343832393133\n");
}

TEST_CASE("smsgw-pdu errors name the field and offset and exit non-zero") {
  SECTION("a malformed capture") {
    auto const r = run_tool({"decode", "-"}, slurp(capture("bad_source_addr.hex")));
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    // The codec's wording may change; the field, offset and status must not.
    CHECK(r.err.starts_with(
        "smsgw-pdu: line 3: decode submit_sm sequence_number 3: source_addr at offset 19: "));
    CHECK(r.err.ends_with("(ESME_RINVSRCADR)\n"));
  }
  SECTION("a truncated PDU") {
    auto const r = run_tool({"decode", "0000001f00000004000000000000000100050041414141"});
    CHECK(r.exit_code == 1);
    CHECK(r.err.starts_with("smsgw-pdu: decode submit_sm sequence_number 1: command_length at offset 0: "));
    CHECK(r.err.ends_with("(ESME_RINVCMDLEN)\n"));
  }
  SECTION("bad hex") {
    auto const r = run_tool({"decode", "00000010 0000001x"});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "smsgw-pdu: bad hex at character 16: 'x' is not a hex digit\n");
  }
  SECTION("bad JSON") {
    auto const r = run_tool({"encode"}, "{\"command_name\": \"submit_sm\",\n  \"body\": {,}}");
    CHECK(r.exit_code == 1);
    CHECK(r.err.starts_with("smsgw-pdu: bad JSON at line 2, column 12: "));
  }
  SECTION("a field over its spec size") {
    auto const r = run_tool({"encode", R"({"command_name":"bind_transmitter","body":{"password":"0123456789"}})"});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("password at offset") != std::string::npos);
    CHECK(r.err.find("ESME_RINVPASWD") != std::string::npos);
  }
  SECTION("an unknown JSON key") {
    auto const r = run_tool({"encode", R"({"command_name":"submit_sm","body":{"destination":"62"}})"});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "smsgw-pdu: encode: body.destination: unknown field for submit_sm\n");
  }
}

TEST_CASE("smsgw-pdu usage") {
  auto r = run_tool({"--help"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("smsgw-pdu decode") != std::string::npos);
  r = run_tool({});
  CHECK(r.exit_code == 2);
  r = run_tool({"frobnicate"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("unknown command") != std::string::npos);
  r = run_tool({"decode"});
  CHECK(r.exit_code == 2);
}
