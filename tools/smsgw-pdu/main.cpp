// tools/smsgw-pdu/main.cpp: entry point of smsgw-pdu, the operator's PDU decoder/encoder
// (hex captures <-> JSON). All logic is in cli.cpp so tests can run it in-process.
#include <iostream>
#include <string>
#include <vector>

#include "tools/smsgw-pdu/cli.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return smsgw::pdu_tool::run_cli(args, std::cin, std::cout, std::cerr);
}
