#pragma once
// Reading a scenario is also documenting it. A Node walks one JSON object: every accessor
// names a key, its type, its default and a sentence of documentation. In read mode it
// returns the value (or the default when the key is absent) and refuses anything else with
// an InputError naming file, JSON path, what was expected and what was found; finish()
// refuses keys nobody asked for (typos must not fall back to defaults). In schema mode the
// same calls build the JSON Schema instead, so scenarios/schema.json is generated from the
// parser and cannot drift from it.
#include <functional>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/distribution.h"
#include "sim/time.h"

namespace estate::harness {

using Json = nlohmann::ordered_json;

class InputError : public std::runtime_error {
 public:
  InputError(std::string file, std::string path, std::string message);
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }
  const std::string& message() const { return message_; }

 private:
  std::string file_, path_, message_;
};

// Where a document came from, so errors can name it. Overrides map a JSON pointer set from
// the command line to the text the user typed.
struct Origin {
  std::string file;
  std::vector<std::pair<std::string, std::string>> overrides;
};

class Node {
 public:
  static Node read(const Origin& origin, const Json& doc);
  static Node schema(Json& out);

  bool schema_mode() const { return schema_ != nullptr; }
  const std::string& path() const { return path_; }
  std::string path_of(std::string_view key) const;
  bool has(std::string_view key) const;
  [[noreturn]] void fail(std::string_view key, const std::string& message) const;
  [[noreturn]] void fail_here(const std::string& message) const;
  // "expected X, got Y" at key.
  [[noreturn]] void expected(std::string_view key, const std::string& what) const;

  // min: the shortest duration accepted (1: above 0). The schema states it: a pattern that
  // refuses zero for 1, and "minimum_duration" beyond that.
  std::optional<sim::Tick> optional_duration(std::string_view key, std::string_view doc, sim::Tick min = 0);
  sim::Tick duration(std::string_view key, sim::Tick def, std::string_view doc, sim::Tick min = 0);
  double number(std::string_view key, double def, std::string_view doc, double min, double max);
  std::int64_t integer(std::string_view key, std::int64_t def, std::string_view doc, std::int64_t min,
                       std::int64_t max);
  bool boolean(std::string_view key, bool def, std::string_view doc);
  double probability(std::string_view key, double def, std::string_view doc);
  // positive: "0/s" is refused (and the schema's pattern says so).
  double rate(std::string_view key, double def_per_s, std::string_view doc, bool positive = false);
  std::optional<double> optional_rate(std::string_view key, std::string_view doc, bool positive = false);
  std::string text(std::string_view key, std::string def, std::string_view doc);
  std::vector<std::string> names(std::string_view key, std::vector<std::string> def, std::string_view doc);
  // A name from a fixed set. Returns the index into options.
  std::size_t choice(std::string_view key, std::size_t def, std::initializer_list<std::string_view> options,
                     std::string_view doc);
  sim::Distribution duration_dist(std::string_view key, const Json& def, std::string_view doc);
  // Counts (lines per order, units per line): every value the distribution can take is from
  // min to max; a geometric's mean is at most max, and its tail beyond max counts as max.
  sim::Distribution count_dist(std::string_view key, const Json& def, std::string_view doc, double min, double max);

  // The raw value of a key the caller parses itself; `ref` is its schema ("#/$defs/...").
  const Json* raw(std::string_view key, std::string_view doc, std::string_view ref);

  Node object(std::string_view key, std::string_view doc);
  // An object whose keys are names the user chooses (channels, locations).
  void entries(std::string_view key, std::string_view doc, const Json& def,
               const std::function<void(const std::string&, Node&)>& each);
  // An array of objects.
  void items(std::string_view key, std::string_view doc, const std::function<void(std::size_t, Node&)>& each);
  // Exactly one of the given keys is present (a tagged union such as a timeline entry); its
  // object is handed to `each`. In schema mode every kind is documented.
  void one_of(std::initializer_list<std::pair<std::string_view, std::string_view>> kinds,
              const std::function<void(std::string_view, Node&)>& each);
  // The remaining keys depend on `key`'s value; call last.
  void variant(std::string_view key, std::size_t def,
               std::initializer_list<std::pair<std::string_view, std::function<void(Node&)>>> options,
               std::string_view doc);
  // Refuses keys that no accessor asked for.
  void finish();

 private:
  Node(const Origin* origin, const Json* value, std::string path, Json* schema);
  const Json* get(std::string_view key);
  Json& prop(std::string_view key, std::string_view doc);
  std::string where() const;
  struct CountRange {
    double min, max;
  };
  sim::Distribution dist(std::string_view key, const Json& def, std::string_view doc, std::optional<CountRange> counts);
  sim::Distribution parse_dist(const Json& v, const std::string& path, std::optional<CountRange> counts) const;

  const Origin* origin_;
  const Json* value_;  // null: the key was absent, every accessor returns its default
  std::string path_;
  Json* schema_;
  std::vector<std::string> known_;
};

std::string describe_json(const Json& v);
// Levenshtein distance, for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);
std::string json_pointer_escape(std::string_view key);
// The JSON Schema $defs shared by every scenario schema (durations, rates, distributions).
Json schema_definitions();
// The schema of a count distribution whose values run from min to max.
Json count_distribution_schema(double min, double max);
// The largest number of SKUs a catalogue may have, and so the largest rank a selector names.
inline constexpr std::int64_t kMaxSkus = 1'000'000;

}  // namespace estate::harness
