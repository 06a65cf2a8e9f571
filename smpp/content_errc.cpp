// smpp/content_errc.cpp: the error category of content_errc (texts and status mapping).
#include "smpp/content_errc.hpp"

#include <string>

namespace smsgw::smpp {
namespace {

class content_category_impl final : public std::error_category {
 public:
  char const* name() const noexcept override { return "smsgw.smpp.content"; }
  std::string message(int ev) const override {
    switch (static_cast<content_errc>(ev)) {
      case content_errc::invalid_utf8: return "text is not valid UTF-8";
      case content_errc::not_representable: return "text cannot be represented in the forced encoding";
      case content_errc::too_long: return "text too long for the allowed number of segments";
      case content_errc::unsupported_data_coding: return "data_coding is binary or not supported for text";
      case content_errc::bad_udh: return "user data header length runs past the data";
      case content_errc::not_a_receipt: return "esm_class does not mark a delivery receipt";
      case content_errc::receipt_missing_id: return "delivery receipt carries no message id";
      case content_errc::receipt_missing_state: return "delivery receipt carries no message state";
      case content_errc::invalid_time: return "malformed SMPP time string";
      case content_errc::time_out_of_range: return "time cannot be expressed in SMPP time format";
    }
    return "unknown content error " + std::to_string(ev);
  }
};

}  // namespace

std::error_category const& content_category() noexcept {
  static content_category_impl const category;
  return category;
}

std::error_code make_error_code(content_errc e) noexcept {
  return {static_cast<int>(e), content_category()};
}

command_status to_command_status(content_errc e, bool schedule) noexcept {
  switch (e) {
    case content_errc::invalid_utf8:
    case content_errc::not_representable:
    case content_errc::unsupported_data_coding:
      return command_status::submitfail;
    case content_errc::too_long:
    case content_errc::bad_udh:
      return command_status::invmsglen;
    case content_errc::not_a_receipt:
    case content_errc::receipt_missing_id:
    case content_errc::receipt_missing_state:
      return command_status::x_p_appn;
    case content_errc::invalid_time:
    case content_errc::time_out_of_range:
      return schedule ? command_status::invsched : command_status::invexpiry;
  }
  return command_status::unknownerr;
}

}  // namespace smsgw::smpp
