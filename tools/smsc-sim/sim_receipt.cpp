// tools/smsc-sim/sim_receipt.cpp: builds receipt deliver_sm PDUs (see sim_receipt.hpp).
// Dates are UTC, 10 digits (YYMMDDhhmm) as Appendix B writes them; the text itself comes from
// smpp::format_receipt_text, the same code family that parses receipts.
#include "tools/smsc-sim/sim_receipt.hpp"

#include <fmt/format.h>

#include "smpp/receipt.hpp"

namespace smsgw::sim {
namespace {

std::string yymmddhhmm(std::chrono::system_clock::time_point t) {
  return smpp::format_receipt_date(std::chrono::floor<std::chrono::seconds>(t));
}

std::string_view err_code(outcome o, sim_config const& cfg) {
  switch (o) {
    case outcome::rejectd: return cfg.rejectd_err;
    case outcome::undeliv: return cfg.undeliv_err;
    default: return "000";
  }
}

smpp::tlv make_tlv(std::uint16_t tag, std::vector<std::uint8_t> value) {
  return smpp::tlv{tag, std::move(value)};
}

}  // namespace

std::string receipt_text(receipt_job const& job, sim_config const& cfg,
                         std::chrono::system_clock::time_point done) {
  smpp::receipt_text_input in;
  in.id = format_message_id(job.message_number, cfg.receipt_id_format);
  in.sub = 1;
  in.dlvrd = job.result == outcome::delivrd ? 1 : 0;
  in.submit_date = yymmddhhmm(job.submitted);
  in.done_date = yymmddhhmm(done);
  in.state = static_cast<smpp::message_state>(outcome_message_state(job.result));
  in.err = std::string(err_code(job.result, cfg));
  in.text = job.text_excerpt;
  return smpp::format_receipt_text(in);
}

smpp::pdu make_receipt_pdu(receipt_job const& job, sim_config const& cfg,
                           std::chrono::system_clock::time_point done) {
  smpp::deliver_sm dsm;
  // A receipt travels back: the handset is the source, the ESME's sender the destination.
  dsm.source_addr_ton = job.dest_addr_ton;
  dsm.source_addr_npi = job.dest_addr_npi;
  dsm.source_addr = job.destination_addr;
  dsm.dest_addr_ton = job.source_addr_ton;
  dsm.dest_addr_npi = job.source_addr_npi;
  dsm.destination_addr = job.source_addr;
  dsm.esm_class = 0x04;
  dsm.data_coding = 0;
  smpp::pdu p;
  if (cfg.receipts != receipt_form::tlv) {
    auto text = receipt_text(job, cfg, done);
    if (text.size() > 254) text.resize(254);
    dsm.short_message.assign(text.begin(), text.end());
  }
  if (cfg.receipts != receipt_form::text) {
    auto id = format_message_id(job.message_number, cfg.receipt_id_format);
    std::vector<std::uint8_t> id_value(id.begin(), id.end());
    id_value.push_back(0);  // receipted_message_id is a C-octet string
    p.tlvs.push_back(make_tlv(smpp::tag::receipted_message_id, std::move(id_value)));
    p.tlvs.push_back(make_tlv(smpp::tag::message_state, {outcome_message_state(job.result)}));
    if (job.result == outcome::undeliv || job.result == outcome::rejectd) {
      // network_error_code: type 3 (GSM) + 2-octet error, the err: code read as decimal.
      unsigned err = 0;
      for (char c : err_code(job.result, cfg))
        if (c >= '0' && c <= '9') err = err * 10 + static_cast<unsigned>(c - '0');
      p.tlvs.push_back(make_tlv(smpp::tag::network_error_code,
                                {3, static_cast<std::uint8_t>((err >> 8) & 0xFF),
                                 static_cast<std::uint8_t>(err & 0xFF)}));
    }
  }
  p.body = std::move(dsm);
  return p;
}

std::string text_excerpt(smpp::submit_sm const& sm) {
  std::string out;
  if (sm.data_coding != 0 && sm.data_coding != 1 && sm.data_coding != 3) return out;
  std::size_t start = 0;
  if ((sm.esm_class & 0x40) != 0 && !sm.short_message.empty())
    start = std::size_t{sm.short_message[0]} + 1;  // skip UDHL + UDH
  for (std::size_t i = start; i < sm.short_message.size() && out.size() < 20; ++i) {
    auto c = sm.short_message[i];
    out.push_back(c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '.');
  }
  return out;
}

}  // namespace smsgw::sim
