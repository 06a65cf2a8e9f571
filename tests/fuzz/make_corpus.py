#!/usr/bin/env python3
"""tests/fuzz/make_corpus.py: writes the committed seed corpus of fuzz_decode (tests/fuzz/corpus/).

Each file is one fuzz input: byte 0 = largest chunk size the framer is fed with (0 = all at
once), then a byte stream. One file per PDU type, a stream of several PDUs, and malformed
inputs (short/huge command_length, missing NUL, sm_length past the end, truncated TLV, unknown
command_id, bad TLV length). PDUs are written field by field here, not by our encoder.
Run from anywhere: python3 tests/fuzz/make_corpus.py
"""
import os

def cs(s): return s.encode().hex() + "00"

def pdu(cid, seq, body="", status=0, length=None):
    b = bytes.fromhex(body)
    n = 16 + len(b) if length is None else length
    return (n.to_bytes(4, 'big') + cid.to_bytes(4, 'big') + status.to_bytes(4, 'big')
            + seq.to_bytes(4, 'big') + b).hex()

SMS = "Kode OTP: 482913".encode().hex()
DLR = ("id:0870928761 sub:001 dlvrd:001 submit date:2511260101 done date:2511260102 "
       "stat:DELIVRD err:000 text:Kode OTP").encode().hex()
submit = ("00" "0500" + cs("OTP") + "0101" + cs("6281234567890") + "000000" "00"
          + cs("000000000500000R") + "01000000" + "10" + SMS + "0204" "0002" "002a" "1421" "0002" "0102")
deliver = ("00" "0101" + cs("6281234567890") + "0500" + cs("OTP") + "040000" "00" "00" "00000000"
           + "%02x" % (len(DLR) // 2) + DLR + "001e0009" + cs("33E95179") + "0427000102" + "0423000303000b")
concat = ("00" "0101" + cs("6281234567890") + "0500" + cs("OTP") + "400000" "00" "00" "00000800"
          + "14" "0500032a0201" "00480061006c006f0020d83dde00")

PDUS = {
    "generic_nack": pdu(0x80000000, 10, "", 3),
    "bind_transmitter": pdu(2, 1, cs("sys1") + cs("secret") + cs("SMS") + "34" "0101" "00"),
    "bind_receiver": pdu(1, 2, cs("sys1") + cs("pw") + "00" "34" "0000" + cs("628*")),
    "bind_transceiver": pdu(9, 3, cs("sys1") + cs("pass") + "00" "34" "0101" "00"),
    "bind_transmitter_resp": pdu(0x80000002, 4, cs("SMSC")),
    "bind_receiver_resp_error": pdu(0x80000001, 5, "", 0x0e),
    "bind_transceiver_resp": pdu(0x80000009, 3, cs("SMSC") + "0210000134"),
    "outbind": pdu(0x0b, 6, cs("SMSC") + cs("passwd")),
    "unbind": pdu(6, 7), "unbind_resp": pdu(0x80000006, 7),
    "enquire_link": pdu(0x15, 8), "enquire_link_resp": pdu(0x80000015, 8),
    "submit_sm": pdu(4, 1, submit),
    "submit_sm_resp": pdu(0x80000004, 9, cs("33E95179")),
    "submit_sm_resp_throttled": pdu(0x80000004, 9, "", 0x58),
    "deliver_sm_receipt": pdu(5, 77, deliver),
    "deliver_sm_concat_ucs2": pdu(5, 78, concat),
    "deliver_sm_resp": pdu(0x80000005, 10, "00"),
    "data_sm": pdu(0x103, 23, "00" "0101" + cs("6281234567890") + "0500" + cs("OTP") + "000108"
                   + "04240008" "00480061006c006f" + "020c0002002a020e000102020f000101"),
    "data_sm_resp": pdu(0x80000103, 23, cs("123") + "0425000100" + "001d0003" + cs("ok")),
    "query_sm": pdu(3, 24, cs("123") + "0500" + cs("OTP")),
    "query_sm_resp": pdu(0x80000003, 24, cs("123") + cs("251126010205000+") + "0200"),
    "cancel_sm": pdu(8, 25, "00" + cs("123") + "0500" + cs("OTP") + "0101" + cs("62812345")),
    "cancel_sm_resp": pdu(0x80000008, 25),
    "replace_sm": pdu(7, 32, cs("123") + "0500" + cs("AB") + "00" "00" "01" "00" "05" "48656c6c6f"),
    "replace_sm_resp": pdu(0x80000007, 32),
    "alert_notification": pdu(0x102, 33, "0101" + cs("62812345") + "0000" + cs("ABC")),
}

MALFORMED = {
    "bad_length_below_16": pdu(0x15, 1, length=15),
    "bad_length_huge": pdu(0x15, 1, length=0x80000009),
    "bad_length_longer_than_data": pdu(0x15, 1, length=24),  # framer waits for 8 more octets
    "bad_unknown_command_id": pdu(0x21, 2, "00"),
    "bad_source_addr_no_nul": pdu(4, 3, "00" "0500" + "41" * 22),
    "bad_sm_length_past_end": pdu(4, 4, "00" "0500" + cs("OTP") + "0101" + cs("62") + "000000" "00" "00"
                                   "01000000" + "20" + "4142"),
    "bad_truncated_tlv": pdu(4, 5, submit + "04"),
    "bad_tlv_length_past_end": pdu(5, 6, deliver + "04270005" "02"),
    "bad_known_tlv_wrong_size": pdu(0x80000009, 7, cs("SMSC") + "021000020134"),
    "bad_payload_and_short_message": pdu(4, 8, submit + "04240002" "4142"),
    "bad_header_only_with_body": pdu(0x15, 9, "00"),
}

def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    os.makedirs(out, exist_ok=True)
    for name, hexs in PDUS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([0]) + bytes.fromhex(hexs))          # whole PDU at once
    for name, hexs in MALFORMED.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([5]) + bytes.fromhex(hexs))          # chunks of 1..5 octets
    stream = PDUS["submit_sm_resp"] + PDUS["enquire_link"] + PDUS["deliver_sm_receipt"] + PDUS["unbind"]
    with open(os.path.join(out, "stream_one_octet_chunks"), "wb") as f:
        f.write(bytes([1]) + bytes.fromhex(stream))
    with open(os.path.join(out, "stream_random_chunks"), "wb") as f:
        f.write(bytes([40]) + bytes.fromhex(stream + MALFORMED["bad_source_addr_no_nul"] + PDUS["enquire_link"]))

if __name__ == "__main__":
    main()
