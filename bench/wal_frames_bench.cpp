// bench/wal_frames_bench.cpp: WAL frames (pages) each queue transaction of the daemon's cycle
// writes when messages go one at a time (a low, steady rate: nothing shares a transaction but
// a submit result and the receipt of an earlier message). It runs the cycle on a real store
// in DIR: enqueue, claim, sending mark, then the message's submit result with the receipt of
// the message 20 before it (as one transaction, the daemon's flush, or with `apart` as two),
// and reads the page number of every frame each transaction appended to the -wal file
// (checkpoints off), named by the b-tree that owns it (SQLite's dbstat table). Bounded: 3,000
// messages, the last 2,000 counted. Figures in docs/performance.md.
//
//   build/bench/wal_frames_bench DIR [apart] [purpose]
#include <sys/stat.h>

#include <cstdio>
#include <deque>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "queue/store.hpp"

using namespace smsgw::queue;

namespace {

long file_size(std::string const& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<long>(st.st_size) : 0;
}

/// Page numbers of the frames in `wal` between byte offsets `from` and `to`.
std::vector<long> frame_pages(std::string const& wal, long from, long to, long page_size) {
  std::vector<long> pages;
  std::FILE* f = std::fopen(wal.c_str(), "rb");
  if (!f) return pages;
  for (long off = from; off + 24 <= to; off += page_size + 24) {
    unsigned char h[4];
    if (std::fseek(f, off, SEEK_SET) != 0 || std::fread(h, 1, 4, f) != 4) break;
    pages.push_back((long{h[0]} << 24) | (long{h[1]} << 16) | (long{h[2]} << 8) | long{h[3]});
  }
  std::fclose(f);
  return pages;
}

struct tally {
  long transactions = 0;
  std::map<long, long> pages;  // page number -> frames written
  long frames() const {
    long n = 0;
    for (auto const& [p, k] : pages) n += k;
    return n;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [apart] [purpose]\n", argv[0]);
    return 2;
  }
  bool apart = false, purpose = false;
  for (int i = 2; i < argc; ++i) {
    apart |= std::string(argv[i]) == "apart";
    purpose |= std::string(argv[i]) == "purpose";
  }
  auto const path = (std::filesystem::path(argv[1]) / "wal_frames.db").string();
  for (auto const* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  auto opened = store::open(path, store_options{}, clock::now());
  if (!opened) {
    std::fprintf(stderr, "open %s: %s\n", path.c_str(), opened.error().message.c_str());
    return 1;
  }
  auto& s = *opened;
  s.database().exec("PRAGMA wal_autocheckpoint = 0");  // frames only appended
  long const page_size = s.database().query_int("PRAGMA page_size");
  std::string const wal = path + "-wal";

  std::map<std::string, tally> by_op;
  auto measure = [&](std::string const& op, bool counted, auto const& work) {
    long const before = file_size(wal);
    work();
    if (!counted) return;
    auto& t = by_op[op];
    ++t.transactions;
    for (long p : frame_pages(wal, before, file_size(wal), page_size)) ++t.pages[p];
  };
  auto must = [](auto const& r, char const* what) {
    if (!r) {
      std::fprintf(stderr, "%s: %s\n", what, r.error().message.c_str());
      std::exit(1);
    }
  };

  constexpr int total = 3000, warm_up = 1000, receipt_lag = 20;
  std::deque<std::string> awaiting_receipt;  // SMSC ids of submitted messages
  for (int i = 0; i < total; ++i) {
    bool const counted = i >= warm_up;
    auto const now = clock::now();
    enqueue_request req;
    req.recipient = "62811" + std::to_string(10'000'000 + i);
    req.sender = "ACME";
    req.text = "Kode 000000";
    req.carrier = "telkomsel";
    if (purpose) req.purpose = "login";
    req.now = now;
    message_id id = 0;
    measure("enqueue", counted, [&] {
      auto r = s.enqueue(req);
      must(r, "enqueue");
      id = r->id;
    });
    measure("claim", counted, [&] { must(s.claim("telkomsel", 10, now), "claim"); });
    std::vector<message_id> ids{id};
    measure("sending mark", counted, [&] { must(s.mark_sending(ids, now), "mark_sending"); });
    std::vector<submission> subs{{id, "telkomsel", "ab" + std::to_string(id), "telkomsel"}};
    std::vector<receipt> rcpts;
    if (awaiting_receipt.size() >= receipt_lag) {
      rcpts.push_back({"telkomsel", awaiting_receipt.front(), receipt_outcome::delivered,
                       "stat:DELIVRD err:000"});
      awaiting_receipt.pop_front();
    }
    awaiting_receipt.push_back(subs[0].smsc_message_id);
    if (apart) {
      measure("submit result", counted,
              [&] { must(s.mark_submitted_batch(subs, now), "mark_submitted_batch"); });
      if (!rcpts.empty())
        measure("receipt", counted, [&] { must(s.apply_receipts(rcpts, now), "apply_receipts"); });
    } else {
      measure("submit result + receipt", counted, [&] {
        must(s.in_one_transaction([&] {
          must(s.mark_submitted_batch(subs, now), "mark_submitted_batch");
          if (!rcpts.empty()) must(s.apply_receipts(rcpts, now), "apply_receipts");
        }), "transaction");
      });
    }
  }

  std::map<long, std::string> owner;  // page -> b-tree (table or index)
  {
    smsgw::sqlite::statement q(s.database(), "SELECT pageno, name FROM dbstat");
    while (q.step()) owner[q.column_int64(0)] = q.column_string(1);
  }
  for (auto const& [op, t] : by_op) {
    std::map<std::string, long> by_tree;
    for (auto const& [p, k] : t.pages)
      by_tree[p == 1 ? "page 1" : owner.count(p) ? owner[p] : "(freed since)"] += k;
    std::printf("%-24s %5.2f frames per transaction:", op.c_str(),
                static_cast<double>(t.frames()) / static_cast<double>(t.transactions));
    for (auto const& [tree, k] : by_tree)
      std::printf(" %s %.2f", tree.c_str(), static_cast<double>(k) / static_cast<double>(t.transactions));
    std::printf("\n");
  }
  for (auto const* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}
