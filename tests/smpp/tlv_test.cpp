// tests/smpp/tlv_test.cpp: typed TLV accessors and builders over tlv_list, and the size
// table the codec enforces.
#include <catch2/catch.hpp>

#include "smpp/tlv.hpp"

using namespace smsgw::smpp;

TEST_CASE("builders append in order and accessors read them back") {
  tlv_list tlvs;
  add_u8(tlvs, tag::message_state, 2);
  add_u16(tlvs, tag::sar_msg_ref_num, 0xBEEF);
  add_u32(tlvs, 0x0017, 0x01020304);  // qos_time_to_live
  add_c_string(tlvs, tag::receipted_message_id, "a1b2c3");
  std::uint8_t const payload[] = {0x00, 0x48, 0x00, 0x69};
  add_octets(tlvs, tag::message_payload, payload);

  REQUIRE(tlvs.size() == 5);
  CHECK(tlvs[0] == tlv{tag::message_state, {0x02}});
  CHECK(tlvs[1] == tlv{tag::sar_msg_ref_num, {0xBE, 0xEF}});
  CHECK(tlvs[2] == tlv{0x0017, {0x01, 0x02, 0x03, 0x04}});
  CHECK(tlvs[3] == tlv{tag::receipted_message_id, {'a', '1', 'b', '2', 'c', '3', 0}});

  CHECK(get_u8(tlvs, tag::message_state) == std::uint8_t{2});
  CHECK(get_u16(tlvs, tag::sar_msg_ref_num) == std::uint16_t{0xBEEF});
  CHECK(get_u32(tlvs, 0x0017) == 0x01020304u);
  CHECK(get_c_string(tlvs, tag::receipted_message_id) == "a1b2c3");
  auto const p = get_octets(tlvs, tag::message_payload);
  REQUIRE(p.has_value());
  CHECK(std::vector<std::uint8_t>(p->begin(), p->end()) ==
        std::vector<std::uint8_t>{0x00, 0x48, 0x00, 0x69});
}

TEST_CASE("accessors return nullopt when absent or of the wrong size") {
  tlv_list const tlvs{{tag::message_state, {0x00, 0x02}}, {tag::user_message_reference, {1}}};
  CHECK_FALSE(get_u8(tlvs, tag::message_state).has_value());        // 2 octets, not 1
  CHECK_FALSE(get_u16(tlvs, tag::user_message_reference).has_value());  // 1 octet, not 2
  CHECK_FALSE(get_u8(tlvs, tag::sar_total_segments).has_value());   // absent
  CHECK_FALSE(get_c_string(tlvs, tag::receipted_message_id).has_value());
  CHECK_FALSE(get_octets(tlvs, tag::message_payload).has_value());
  CHECK(find_tlv(tlvs, tag::message_state) == &tlvs[0]);
  CHECK(find_tlv(tlvs, 0x1234) == nullptr);
}

TEST_CASE("C-string values stop at the first NUL and tolerate a missing one") {
  tlv_list const tlvs{{tag::receipted_message_id, {'a', 'b', 'c'}},
                      {tag::additional_status_info_text, {'x', 0, 'y', 0}}};
  CHECK(get_c_string(tlvs, tag::receipted_message_id) == "abc");
  CHECK(get_c_string(tlvs, tag::additional_status_info_text) == "x");
}

TEST_CASE("the first TLV with a tag wins, remove_tlv removes all of them") {
  tlv_list tlvs;
  add_u8(tlvs, tag::message_state, 5);
  add_u8(tlvs, tag::message_state, 2);
  CHECK(get_u8(tlvs, tag::message_state) == std::uint8_t{5});
  CHECK(remove_tlv(tlvs, tag::message_state) == 2);
  CHECK(tlvs.empty());
}

TEST_CASE("known TLV sizes and names") {
  auto const* s = find_tlv_spec(tag::network_error_code);
  REQUIRE(s != nullptr);
  CHECK(s->name == "network_error_code");
  CHECK(s->min_len == 3);
  CHECK(s->max_len == 3);
  CHECK(find_tlv_spec(tag::receipted_message_id)->max_len == 65);
  CHECK(find_tlv_spec(tag::message_payload)->max_len == 0xFFFF);
  CHECK(find_tlv_spec(0x1421) == nullptr);  // vendor range: opaque
  CHECK(tlv_name(tag::sar_segment_seqnum) == "sar_segment_seqnum");
  CHECK(tlv_name(0x1421) == "tlv");
  // Every fixed-size tag listed in docs/smpp.md §TLVs is enforced.
  for (auto [t, n] : {std::pair{tag::message_state, 1}, {tag::sar_msg_ref_num, 2},
                      {tag::sar_total_segments, 1}, {tag::sar_segment_seqnum, 1},
                      {tag::sc_interface_version, 1}, {tag::user_message_reference, 2},
                      {tag::source_port, 2}, {tag::destination_port, 2},
                      {tag::more_messages_to_send, 1}, {tag::ms_availability_status, 1},
                      {tag::delivery_failure_reason, 1}, {tag::payload_type, 1},
                      {tag::dest_addr_subunit, 1}, {tag::source_addr_subunit, 1},
                      {tag::ms_msg_wait_facilities, 1}, {tag::ms_validity, 1},
                      {tag::ussd_service_op, 1}}) {
    INFO("tag " << t);
    auto const* spec = find_tlv_spec(t);
    REQUIRE(spec != nullptr);
    CHECK(spec->min_len == n);
    CHECK(spec->max_len == n);
  }
}
