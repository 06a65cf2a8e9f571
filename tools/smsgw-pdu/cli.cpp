// tools/smsgw-pdu/cli.cpp: argument handling and the decode/encode loops of smsgw-pdu.
// A capture may hold several PDUs back to back (a TCP stream); decode walks them by
// command_length and decodes each, numbering them in error messages. Errors go to `err`
// prefixed "smsgw-pdu:", one line each, and processing continues with the next input.
#include "tools/smsgw-pdu/cli.hpp"

#include <istream>
#include <iterator>
#include <ostream>

#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>

#include "smpp/codec.hpp"
#include "tools/smsgw-pdu/hex.hpp"
#include "tools/smsgw-pdu/json_print.hpp"
#include "tools/smsgw-pdu/pdu_json.hpp"
#include "tools/smsgw-pdu/redact_json.hpp"

namespace smsgw::pdu_tool {
namespace {

namespace json = boost::json;

constexpr char usage[] = R"(usage:
  smsgw-pdu decode [--compact] [--redact] HEX...
                                          decode the PDU(s) in HEX and print them as JSON
  smsgw-pdu decode [--compact] [--redact] -
                                          read hex from stdin, one capture per line
                                          ('#' starts a comment line)
  smsgw-pdu encode [--spaced] [JSON | -]  read PDU JSON (argument or stdin) and print hex
  smsgw-pdu --help

decode: HEX may contain spaces, tabs, ':', '-', '.' and "0x" prefixes; several arguments
  are joined. A capture may hold several PDUs back to back. Output: one JSON object per
  PDU with the header (command_length, command_id, command_name, command_status,
  sequence_number), "body" (every mandatory field by its SMPP 3.4 name), "tlvs" (tag,
  name, length and a typed "value" or raw "hex") and "decoded" (text of short_message or
  message_payload, UDH concatenation info, parsed delivery receipt).
  --redact: for sharing a capture: passwords and message octets are replaced, every digit
  of a message text is masked ("Kode OTP ******"); receipts keep id, stat, err and dates.
encode: the JSON decode prints (or an array / a sequence of such objects). Derived keys
  (command_length, names, sm_length, "decoded") are ignored. "command_name" or
  "command_id" is required; command_status defaults to 0, sequence_number to 1, absent
  body fields to 0 / "". The body may give "text" (UTF-8) instead of "short_message"
  (hex): data_coding is then chosen automatically (GSM 03.38, else UCS-2) unless
  given. TLVs: {"tag": "0x0424" or "message_payload", "value": typed} or {"tag", "hex"}.
exit status: 0 ok, 1 an input could not be decoded/encoded, 2 usage error.

example:
  smsgw-pdu decode 00000010 00000015 00000000 00000001
  echo '{"command_name":"submit_sm","sequence_number":7,
         "body":{"source_addr":"OTP","destination_addr":"6281234567890",
                 "text":"Kode OTP Anda 123456"}}' | smsgw-pdu encode
)";

struct options {
  bool compact = false;
  bool redact = false;
  bool spaced = false;
  std::vector<std::string> operands;
};

std::string spaced_hex(std::string const& hex) {
  std::string s;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    if (i > 0) s.push_back(' ');
    s.append(hex, i, 2);
  }
  return s;
}

/// " submit_sm sequence_number 7" when the header was readable, so the operator knows which
/// PDU of a capture failed.
std::string pdu_context(smpp::codec_error const& e) {
  if (e.command_id == 0 && e.sequence_number == 0) return {};
  auto const name = smpp::command_name(static_cast<smpp::command_id>(e.command_id));
  std::string s = " ";
  s += name == "unknown" ? "command_id " + std::to_string(e.command_id) : std::string(name);
  s += " sequence_number " + std::to_string(e.sequence_number);
  return s;
}

/// Decodes every PDU of one capture; returns false if any failed. `where` prefixes errors.
bool decode_capture(std::string_view hex, std::string const& where, options const& opt,
                    std::ostream& out, std::ostream& err) {
  std::vector<std::uint8_t> bytes;
  if (auto e = parse_hex(hex, bytes)) {
    err << "smsgw-pdu: " << where << e->message() << "\n";
    return false;
  }
  if (bytes.empty()) {
    err << "smsgw-pdu: " << where << "no hex digits given\n";
    return false;
  }
  std::size_t pos = 0;
  int index = 1;
  bool const several = [&] {
    if (bytes.size() < 4) return false;
    std::uint32_t const len = (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
                              (std::uint32_t{bytes[2]} << 8) | bytes[3];
    return len >= smpp::header_size && len < bytes.size();
  }();
  bool ok = true;
  while (pos < bytes.size()) {
    std::span<std::uint8_t const> rest(bytes.data() + pos, bytes.size() - pos);
    std::size_t take = rest.size();
    if (rest.size() >= 4) {
      std::uint32_t const len = (std::uint32_t{rest[0]} << 24) | (std::uint32_t{rest[1]} << 16) |
                                (std::uint32_t{rest[2]} << 8) | rest[3];
      if (len >= smpp::header_size && len < rest.size()) take = len;
    }
    auto const one = rest.first(take);
    std::string const label =
        several ? "PDU " + std::to_string(index) + " (capture offset " + std::to_string(pos) + "): " : "";
    auto decoded = smpp::decode(one);
    if (decoded) {
      auto printed = to_json(*decoded, one.size());
      if (opt.redact) redact_pdu_json(printed);
      print_json(out, printed, opt.compact);
    } else {
      auto const& e = decoded.error();
      err << "smsgw-pdu: " << where << label << "decode" << pdu_context(e) << ": " << e.message() << "\n";
      ok = false;
    }
    pos += take;
    ++index;
  }
  return ok;
}

int run_decode(options const& opt, std::istream& in, std::ostream& out, std::ostream& err) {
  if (opt.operands.empty()) {
    err << "smsgw-pdu: decode needs HEX or '-' (see --help)\n";
    return 2;
  }
  if (opt.operands.size() == 1 && opt.operands[0] == "-") {
    bool ok = true;
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      auto const first = line.find_first_not_of(" \t\r");
      if (first == std::string::npos || line[first] == '#') continue;  // blank or comment
      ok = decode_capture(line, "line " + std::to_string(n) + ": ", opt, out, err) && ok;
    }
    return ok ? 0 : 1;
  }
  std::string joined;
  for (auto const& o : opt.operands) joined.append(o).push_back(' ');
  return decode_capture(joined, "", opt, out, err) ? 0 : 1;
}

/// "line 3, column 14" for a byte offset into `text`.
std::string line_column(std::string_view text, std::size_t offset) {
  std::size_t line = 1, col = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

bool encode_value(json::value const& v, std::string const& label, options const& opt,
                  std::ostream& out, std::ostream& err) {
  auto bytes = encode_json(v);
  if (!bytes) {
    err << "smsgw-pdu: " << label << "encode: " << bytes.error().message() << "\n";
    return false;
  }
  auto const hex = to_hex(*bytes);
  out << (opt.spaced ? spaced_hex(hex) : hex) << "\n";
  return true;
}

int run_encode(options const& opt, std::istream& in, std::ostream& out, std::ostream& err) {
  if (opt.operands.size() > 1) {
    err << "smsgw-pdu: encode takes one JSON argument (quote it) or '-' (see --help)\n";
    return 2;
  }
  std::string text;
  if (opt.operands.empty() || opt.operands[0] == "-")
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  else
    text = opt.operands[0];

  // The input is a sequence of JSON values (one object, an array, or JSON lines).
  json::parser parser;
  std::size_t pos = 0;
  bool ok = true;
  int index = 0;
  for (;;) {
    pos = text.find_first_not_of(" \t\r\n", pos);
    if (pos == std::string::npos) break;
    parser.reset();
    boost::system::error_code ec;
    std::size_t const used = parser.write_some(text.data() + pos, text.size() - pos, ec);
    if (ec) {
      err << "smsgw-pdu: bad JSON at " << line_column(text, pos + used) << ": " << ec.message() << "\n";
      return 1;
    }
    json::value const v = parser.release();
    pos += used;
    if (auto const* arr = v.if_array()) {
      for (std::size_t i = 0; i < arr->size(); ++i, ++index)
        ok = encode_value((*arr)[i], "PDU " + std::to_string(index + 1) + ": ", opt, out, err) && ok;
    } else {
      ok = encode_value(v, index > 0 ? "PDU " + std::to_string(index + 1) + ": " : "", opt, out, err) && ok;
      ++index;
    }
  }
  if (index == 0) {
    err << "smsgw-pdu: encode: no JSON given\n";
    return 2;
  }
  return ok ? 0 : 1;
}

}  // namespace

int run_cli(std::vector<std::string> const& args, std::istream& in, std::ostream& out,
            std::ostream& err) {
  if (args.empty()) {
    err << usage;
    return 2;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    out << usage;
    return 0;
  }
  std::string const& command = args[0];
  if (command != "decode" && command != "encode") {
    err << "smsgw-pdu: unknown command \"" << command << "\" (expected decode or encode; see --help)\n";
    return 2;
  }
  options opt;
  for (std::size_t i = 1; i < args.size(); ++i) {
    auto const& a = args[i];
    if (a == "--compact" && command == "decode") {
      opt.compact = true;
    } else if (a == "--redact" && command == "decode") {
      opt.redact = true;
    } else if (a == "--spaced" && command == "encode") {
      opt.spaced = true;
    } else if (a == "--help" || a == "-h") {
      out << usage;
      return 0;
    } else if (a.size() > 1 && a[0] == '-' && a[1] == '-') {
      err << "smsgw-pdu: unknown option " << a << " for " << command << " (see --help)\n";
      return 2;
    } else {
      opt.operands.push_back(a);
    }
  }
  return command == "decode" ? run_decode(opt, in, out, err) : run_encode(opt, in, out, err);
}

}  // namespace smsgw::pdu_tool
