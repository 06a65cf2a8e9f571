// tests/daemon/dispatch/writer_gate.hpp: holding the queue writer busy on purpose, and reading what is
// committed without it. writer_gate posts a task that waits until open(): everything posted to
// the writer meanwhile queues behind it, as behind a long commit (fsync). committed_state()
// reads through a second connection, so it sees only committed rows and never waits for the writer.
#pragma once

#include <future>
#include <memory>
#include <string>

#include "queue/group_commit.hpp"
#include "queue/sqlite.hpp"

namespace smsgw::test {

class writer_gate {
 public:
  /// Returns once the writer runs the gate task: whatever is posted after it is in a later
  /// round (posted before the writer had taken the gate, it could share the gate's round).
  explicit writer_gate(queue::group_commit& gc) {
    auto f = open_.get_future().share();
    auto entered = std::make_shared<std::promise<void>>();  // (the task must be copyable)
    auto in = entered->get_future();
    held_ = gc.run([f, entered](queue::store&) {
      entered->set_value();
      f.wait();
    });
    in.wait();
  }
  ~writer_gate() { open(); }
  writer_gate(writer_gate const&) = delete;
  writer_gate& operator=(writer_gate const&) = delete;
  /// Lets the writer go on; returns once the gate task itself has ended.
  void open() {
    if (opened_) return;
    opened_ = true;
    open_.set_value();
    held_.wait();
  }

 private:
  std::promise<void> open_;
  std::future<void> held_;
  bool opened_ = false;
};

/// A read-only connection to the queue file at `path`.
inline sqlite::database open_reader(std::string const& path) {
  sqlite::open_options ro;
  ro.read_only = true;
  return sqlite::database::open(path, ro);
}

/// The committed state of message `id`.
inline queue::state committed_state(sqlite::database& reader, queue::message_id id) {
  return static_cast<queue::state>(
      reader.query_int("SELECT state FROM messages WHERE id = " + std::to_string(id)));
}

}  // namespace smsgw::test
