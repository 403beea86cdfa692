#pragma once
// Order logs: a run's demand as a file, one order line per record, in CSV or JSON Lines.
// estate reads one as a scenario's demand (demand.trace, replayed by harness/replay.h) and
// writes one from a run (estate run --record-orders), in the same format, so a recorded run
// replays as the same customers. The format (README, "Order logs"):
//
//   time,channel,sku,quantity,order          <- header; columns in any order, "order" optional
//   0.25,storefront,3,1,1                    <- seconds from the log's start, or ISO-8601
//   0.25,storefront,17,2,1                   <- same order value on consecutive lines: one order
//   1.5,marketplace,0,1,2
//
// JSON Lines carries the same fields per line: {"time": 0.25, "channel": "storefront",
// "sku": 3, "quantity": 1, "order": 1}. CSV is read with the Fast C++ CSV Parser (Debian's
// libfccp-dev), JSON with nlohmann_json. Anything malformed is an InputError naming the file,
// the line and the column (CSV: its number and header name; JSON: its key), what was
// expected and what was found.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/ids.h"
#include "model/order_book.h"
#include "sim/time.h"

namespace estate::harness {

enum class LogFormat : std::uint8_t { csv, jsonl };
const char* log_format_name(LogFormat format);
// By the file's extension (.csv, .jsonl or .ndjson); nullopt for anything else.
std::optional<LogFormat> log_format_of(std::string_view path);

struct LoggedOrder {
  sim::Tick t;               // log time: from the log's start (see read_order_log)
  model::ChannelId channel;  // index into the scenario's channels
  std::uint8_t line_count;
  std::uint32_t first_line;  // into OrderLog::lines
  std::uint32_t file_line;   // where the order starts in the file, for messages
};

struct OrderLog {
  std::vector<LoggedOrder> orders;  // in file order, which is time order
  std::vector<model::OrderLine> lines;
  std::size_t file_lines = 0;  // order lines read (records, not counting the header)
  std::string hash;            // FNV-1a of the file's bytes, as hex
  std::span<const model::OrderLine> lines_of(const LoggedOrder& o) const { return {lines.data() + o.first_line, o.line_count}; }
};

// What a log must agree with: the scenario's channel names and catalogue size.
struct LogRoster {
  std::vector<std::string> channels;
  std::size_t skus = 0;
};

// Reads and validates a log. Times: a number of seconds (decimals to the microsecond) is log
// time itself; ISO-8601 times ("2024-11-29T14:30:00Z", "...+01:00", fractions allowed) count
// from midnight of the first line's date in the first line's UTC offset, so a day's log keeps
// its clock. Times must not go backwards. Throws InputError.
OrderLog read_order_log(const std::string& path, LogFormat format, const LogRoster& roster);

// Collects a run's demand (every customer, whether the channel then placed the order or not)
// and writes it as a log that read_order_log reads back to the same orders.
class OrderRecorder {
 public:
  void add(model::ChannelId channel, std::span<const model::OrderLine> lines, sim::Tick t);
  std::size_t orders() const { return orders_.size(); }
  // The log, its orders in time order (stable), numbered from 1 in the order column.
  std::string render(LogFormat format, const std::vector<std::string>& channel_names) const;

 private:
  struct Recorded {
    sim::Tick t;
    model::ChannelId channel;
    std::uint8_t line_count;
    std::uint32_t first_line;
  };
  std::vector<Recorded> orders_;
  std::vector<model::OrderLine> lines_;
};

// Seconds with up to six decimals, trailing zeros dropped ("12.5", "3600", "0.000125").
std::string format_log_time(sim::Tick t);

}  // namespace estate::harness
