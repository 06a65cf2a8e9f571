// daemon/metrics/series_cache.hpp: the series of one prometheus family, found by their label
// values without Family::Add once they exist. Add takes the family's mutex, and its caller
// builds a map of label names to values (a string allocation each) that Add then hashes: on
// every call. The daemon counts several events per message (a submit, a receipt, their
// latencies, an outcome, the API's answer), so those look their series up here: one lock of
// the cache's own and one hash lookup of a key the values are packed into, no allocation
// after the first time. A series lives as long as its family (nothing removes one), so its
// address is kept. Same names, labels and values as Add alone would give.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <prometheus/family.h>

namespace smsgw {

template <class Metric, std::size_t N>
class series_cache {
 public:
  /// `names`: the label names, in the order get() takes their values.
  series_cache(prometheus::Family<Metric>& family, std::array<std::string_view, N> names)
      : family_(family), names_(names) {}
  series_cache(series_cache const&) = delete;
  series_cache& operator=(series_cache const&) = delete;

  /// The series with these label values, made by Family::Add the first time (`args` then go
  /// to it: a histogram's bucket bounds). Thread-safe.
  template <class... Args>
  Metric& get(std::array<std::string_view, N> const& values, Args const&... args) {
    std::lock_guard lock(mutex_);
    // Each value after its length: no two lists of values pack to the same key.
    key_.clear();
    for (auto v : values) {
      auto const n = static_cast<std::uint32_t>(v.size());
      key_.append(reinterpret_cast<char const*>(&n), sizeof n);
      key_.append(v);
    }
    if (auto it = series_.find(key_); it != series_.end()) return *it->second;
    prometheus::Labels labels;
    for (std::size_t i = 0; i < N; ++i) labels.emplace(names_[i], values[i]);
    Metric& series = family_.Add(labels, args...);
    series_.emplace(key_, &series);
    return series;
  }

 private:
  prometheus::Family<Metric>& family_;
  std::array<std::string_view, N> names_;
  std::mutex mutex_;
  std::string key_;  // reused: no allocation once it is long enough
  std::unordered_map<std::string, Metric*> series_;
};

}  // namespace smsgw
