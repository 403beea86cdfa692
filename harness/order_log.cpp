#include "harness/order_log.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <unordered_map>

// The parser's own reading thread is of no use on a file already in memory. GCC 12 warns,
// at -O2, about a bounded strncpy inside the header's error types (the file name, cut at 255
// characters on purpose); the state below covers the header's own lines only.
#define CSV_IO_NO_THREAD
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-truncation"
#include <libfccp/csv.h>
#pragma GCC diagnostic pop
#include <nlohmann/json.hpp>

#include "harness/reader.h"
#include "sim/rng.h"

namespace estate::harness {
using sim::Tick;

namespace {

constexpr std::array<const char*, 5> kLogColumns{"time", "channel", "sku", "quantity", "order"};
enum LogField : std::size_t { f_time, f_channel, f_sku, f_quantity, f_order };
constexpr std::int64_t kMaxQuantity = 1'000'000;

std::string quoted_text(std::string_view v) {
  std::string s(v.substr(0, 60));
  return "\"" + s + (v.size() > 60 ? "...\"" : "\"");
}

// One record's fields as text, and how to name each one in a message ("column 3 (sku)" in
// a CSV file, "/sku" in JSON Lines).
struct LogRecord {
  std::size_t line = 0;
  std::array<std::optional<std::string_view>, 5> text;
  std::array<std::string, 5> where;
};

// Decimal seconds, exact to the microsecond (rounded half up beyond it).
std::optional<Tick> parse_seconds(std::string_view s) {
  const auto dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  const std::string_view frac = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  auto digits = [](std::string_view d) { return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; }); };
  if (whole.empty() || whole.size() > 10 || !digits(whole) || !digits(frac) || (dot != std::string_view::npos && frac.empty()))
    return std::nullopt;
  std::int64_t seconds = 0;
  std::from_chars(whole.data(), whole.data() + whole.size(), seconds);
  std::int64_t us = 0;
  for (std::size_t i = 0; i < 6; ++i) us = us * 10 + (i < frac.size() ? frac[i] - '0' : 0);
  if (frac.size() > 6 && frac[6] >= '5') ++us;
  return seconds * 1'000'000 + us;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// An ISO-8601 instant: YYYY-MM-DD, 'T' or a space, hh:mm[:ss[.fraction]], then Z, +hh:mm,
// -hh:mm, +hhmm or nothing (taken as UTC).
struct IsoTime {
  std::int64_t utc_us;       // microseconds since the epoch, UTC
  std::int64_t midnight_us;  // midnight of its date in its own offset, UTC
};
std::optional<IsoTime> parse_iso(std::string_view s) {
  auto num = [&](std::size_t at, std::size_t n, unsigned lo, unsigned hi) -> std::optional<unsigned> {
    if (at + n > s.size()) return std::nullopt;
    unsigned v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
    }
    if (v < lo || v > hi) return std::nullopt;
    return v;
  };
  const auto y = num(0, 4, 1, 9999), mo = num(5, 2, 1, 12), d = num(8, 2, 1, 31);
  if (!y || !mo || !d || s.size() < 16 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ')) return std::nullopt;
  const auto h = num(11, 2, 0, 23), mi = num(14, 2, 0, 59);
  if (!h || !mi || s[13] != ':') return std::nullopt;
  std::size_t at = 16;
  unsigned sec = 0;
  std::int64_t frac_us = 0;
  if (at < s.size() && s[at] == ':') {
    const auto ss = num(at + 1, 2, 0, 60);
    if (!ss) return std::nullopt;
    sec = *ss;
    at += 3;
    if (at < s.size() && (s[at] == '.' || s[at] == ',')) {
      std::size_t n = 0;
      for (++at; at < s.size() && s[at] >= '0' && s[at] <= '9'; ++at, ++n)
        if (n < 6) frac_us = frac_us * 10 + (s[at] - '0');
      if (n == 0) return std::nullopt;
      for (; n < 6; ++n) frac_us *= 10;
    }
  }
  std::int64_t offset_s = 0;
  if (at < s.size() && s[at] == 'Z') {
    ++at;
  } else if (at < s.size() && (s[at] == '+' || s[at] == '-')) {
    const int sign = s[at] == '-' ? -1 : 1;
    const auto oh = num(at + 1, 2, 0, 23);
    const std::size_t m_at = at + 3 + (at + 3 < s.size() && s[at + 3] == ':' ? 1 : 0);
    const auto om = num(m_at, 2, 0, 59);
    if (!oh || !om) return std::nullopt;
    offset_s = sign * (static_cast<std::int64_t>(*oh) * 3600 + *om * 60);
    at = m_at + 2;
  }
  if (at != s.size()) return std::nullopt;
  const std::int64_t day_s = days_from_civil(*y, *mo, *d) * 86400;
  const std::int64_t local_s = day_s + *h * 3600 + *mi * 60 + sec;
  return IsoTime{(local_s - offset_s) * 1'000'000 + frac_us, (day_s - offset_s) * 1'000'000};
}

// Builds the log from records, checking each against the scenario and the records before it.
class LogBuilder {
 public:
  LogBuilder(std::string file, const LogRoster& roster) : file_(std::move(file)), roster_(roster) {}

  void add(const LogRecord& r) {
    r_ = &r;
    for (LogField f : {f_time, f_channel, f_sku, f_quantity})
      if (!r.text[f] || r.text[f]->empty()) fail(f, "expected a value, found none");
    const Tick t = parse_time(*r.text[f_time]);
    const auto channel = channel_of(*r.text[f_channel]);
    const model::OrderLine line{sku(), static_cast<std::int32_t>(integer(f_quantity, 1, kMaxQuantity, "a quantity"))};
    const std::string_view order = r.text[f_order].value_or(std::string_view());
    if (!order.empty() && order == open_order_ && !log_.orders.empty()) {
      continue_order(t, channel, line);
    } else {
      start_order(t, channel, order);
      log_.lines.push_back(line);
    }
    last_t_ = t;
    last_line_ = r.line;
    ++log_.file_lines;
  }

  OrderLog finish(std::size_t last_line) {
    if (log_.orders.empty())
      throw InputError(file_, "line " + std::to_string(last_line + 1), "expected at least one order line, found none");
    return std::move(log_);
  }

 private:
  [[noreturn]] void fail(LogField f, const std::string& message) const {
    throw InputError(file_, "line " + std::to_string(r_->line) + ", " + r_->where[f], message);
  }

  Tick parse_time(std::string_view text) {
    const auto iso = parse_iso(text);
    const auto secs = iso ? std::nullopt : parse_seconds(text);
    if (!iso && !secs)
      fail(f_time, "expected seconds from the log's start (\"12.5\") or an ISO-8601 time (\"2024-11-29T14:30:00Z\"), got " + quoted_text(text));
    const TimeForm form = iso ? TimeForm::iso : TimeForm::seconds;
    if (form_ == TimeForm::unknown) {
      form_ = form;
      if (iso) midnight_us_ = iso->midnight_us;
    } else if (form != form_) {
      fail(f_time, std::string("expected ") + (form_ == TimeForm::iso ? "an ISO-8601 time" : "seconds") +
                       " like every time before it, got " + quoted_text(text));
    }
    const Tick t = iso ? iso->utc_us - midnight_us_ : *secs;
    if (t < 0) fail(f_time, "expected a time on or after midnight of the log's first day, got " + quoted_text(text));
    if (!log_.orders.empty() && t < last_t_)
      fail(f_time, "expected a time at or after line " + std::to_string(last_line_) + "'s (" + format_log_time(last_t_) +
                       " s into the log), got " + quoted_text(text) + " (" + format_log_time(t) +
                       " s): the log must be in time order; sort it by time");
    return t;
  }

  model::ChannelId channel_of(std::string_view name) const {
    for (std::size_t c = 0; c < roster_.channels.size(); ++c)
      if (roster_.channels[c] == name) return static_cast<model::ChannelId>(c);
    std::string names;
    for (const auto& c : roster_.channels) names += (names.empty() ? "\"" : ", \"") + c + "\"";
    fail(f_channel, "expected a channel of the scenario (" + names + "), got " + quoted_text(name));
  }

  std::int64_t integer(LogField f, std::int64_t lo, std::int64_t hi, const std::string& what) const {
    const std::string_view s = *r_->text[f];
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi)
      fail(f, "expected " + what + " from " + std::to_string(lo) + " to " + std::to_string(hi) + ", got " + quoted_text(s));
    return v;
  }

  model::SkuId sku() const {
    return static_cast<model::SkuId>(integer(f_sku, 0, static_cast<std::int64_t>(roster_.skus) - 1,
                                             "a SKU number (the catalogue's, 0 the most popular)"));
  }

  void start_order(Tick t, model::ChannelId channel, std::string_view order) {
    if (!order.empty()) {
      const auto [it, fresh] = order_lines_.try_emplace(std::string(order), r_->line);
      if (!fresh)
        fail(f_order, "expected a new order: order " + quoted_text(order) + " began at line " + std::to_string(it->second) +
                          " and other lines came between; an order's lines must be consecutive");
    }
    open_order_ = std::string(order);
    log_.orders.push_back({t, channel, 1, static_cast<std::uint32_t>(log_.lines.size()), static_cast<std::uint32_t>(r_->line)});
  }

  void continue_order(Tick t, model::ChannelId channel, model::OrderLine line) {
    LoggedOrder& o = log_.orders.back();
    if (t != o.t)
      fail(f_time, "expected the time of the order's first line (line " + std::to_string(o.file_line) + ": " +
                       format_log_time(o.t) + " s), got " + quoted_text(*r_->text[f_time]) + ": one order is placed at one instant");
    if (channel != o.channel)
      fail(f_channel, "expected the channel of the order's first line (line " + std::to_string(o.file_line) + ": \"" +
                          roster_.channels[o.channel] + "\"), got " + quoted_text(*r_->text[f_channel]));
    if (o.line_count >= model::kMaxLinesPerOrder)
      fail(f_order, "expected at most " + std::to_string(model::kMaxLinesPerOrder) + " lines in one order (it began at line " +
                        std::to_string(o.file_line) + ")");
    for (const auto& l : log_.lines_of(o))
      if (l.sku == line.sku)
        fail(f_sku, "expected each SKU at most once per order; SKU " + std::to_string(line.sku) + " is already in the order that began at line " +
                        std::to_string(o.file_line));
    log_.lines.push_back(line);
    ++o.line_count;
  }

  enum class TimeForm : std::uint8_t { unknown, seconds, iso };
  std::string file_;
  const LogRoster& roster_;
  const LogRecord* r_ = nullptr;
  OrderLog log_;
  TimeForm form_ = TimeForm::unknown;
  std::int64_t midnight_us_ = 0;
  Tick last_t_ = 0;
  std::size_t last_line_ = 0;
  std::string open_order_;
  std::unordered_map<std::string, std::size_t> order_lines_;  // probed only: where each order began
};

std::string expected_columns() { return "time, channel, sku, quantity and optionally order"; }

using CsvReader = io::CSVReader<5, io::trim_chars<' ', '\t'>, io::double_quote_escape<',', '"'>, io::throw_on_overflow,
                                io::empty_line_comment>;

void read_csv_header(CsvReader& in, const std::string& path) {
  const std::string at = "line 1";
  try {
    in.read_header(io::ignore_missing_column, kLogColumns[0], kLogColumns[1], kLogColumns[2], kLogColumns[3], kLogColumns[4]);
  } catch (const io::error::header_missing&) {
    throw InputError(path, at, "expected a header line naming the columns " + expected_columns() + ", found an empty file");
  } catch (const io::error::extra_column_in_header& e) {
    throw InputError(path, at, "unexpected column \"" + std::string(e.column_name) + "\"; expected the columns " + expected_columns());
  } catch (const io::error::duplicated_column_in_header& e) {
    throw InputError(path, at, "expected each column once, found \"" + std::string(e.column_name) + "\" twice");
  } catch (const io::error::base& e) {
    throw InputError(path, at, std::string("expected a header line naming the columns ") + expected_columns() + " (" + e.what() + ")");
  }
  for (std::size_t f = f_time; f < f_order; ++f)
    if (!in.has_column(kLogColumns[f]))
      throw InputError(path, at, "expected a header naming the columns " + expected_columns() + "; \"" + kLogColumns[f] + "\" is missing");
}

// Reads one row into `fields`; false at the end. Errors that the parser finds (a row with too
// few or too many fields, an unclosed quote) name the line.
bool read_csv_row(CsvReader& in, const std::string& path, std::size_t columns, std::array<char*, 5>& fields) {
  fields.fill(nullptr);
  auto at = [&](int line) { return "line " + std::to_string(line); };
  const std::string want = "expected " + std::to_string(columns) + " fields, as the header has";
  try {
    return in.read_row(fields[0], fields[1], fields[2], fields[3], fields[4]);
  } catch (const io::error::too_few_columns& e) {
    throw InputError(path, at(e.file_line), want + ", found fewer");
  } catch (const io::error::too_many_columns& e) {
    throw InputError(path, at(e.file_line), want + ", found more");
  } catch (const io::error::escaped_string_not_closed& e) {
    throw InputError(path, at(e.file_line), "expected a closing quote (\") before the end of the line");
  } catch (const io::error::line_length_limit_exceeded& e) {
    throw InputError(path, at(e.file_line), "expected a line under 1 MiB, found a longer one");
  }
}

OrderLog read_csv(const std::string& path, const std::string& text, const LogRoster& roster) {
  CsvReader in(path, text.data(), text.data() + text.size());
  read_csv_header(in, path);
  std::size_t columns = 0;
  for (const char* c : kLogColumns) columns += in.has_column(c) ? 1u : 0u;
  LogBuilder builder(path, roster);
  LogRecord r;
  bool positioned = false;
  std::array<char*, 5> fields{};
  while (read_csv_row(in, path, columns, fields)) {
    // The parser points each field into the line it split, left to right: ordering the
    // pointers gives each column's position in the file, for messages.
    if (!positioned) {
      std::vector<std::pair<const char*, std::size_t>> present;
      for (std::size_t f = 0; f < fields.size(); ++f)
        if (fields[f]) present.emplace_back(fields[f], f);
      std::sort(present.begin(), present.end(), [](const auto& a, const auto& b) { return std::less<const char*>()(a.first, b.first); });
      for (std::size_t k = 0; k < present.size(); ++k)
        r.where[present[k].second] = "column " + std::to_string(k + 1) + " (" + kLogColumns[present[k].second] + ")";
      positioned = true;
    }
    r.line = in.get_file_line();
    for (std::size_t f = 0; f < fields.size(); ++f) r.text[f] = fields[f] ? std::optional<std::string_view>(fields[f]) : std::nullopt;
    builder.add(r);
  }
  return builder.finish(in.get_file_line());
}

// A JSON value as the text the CSV form would hold; nullopt when its type is wrong.
std::optional<std::string> json_field(const Json& v, LogField f) {
  switch (f) {
    case f_time: if (v.is_number() || v.is_string()) return v.is_string() ? v.get<std::string>() : v.dump(); break;
    case f_channel: if (v.is_string()) return v.get<std::string>(); break;
    case f_sku: case f_quantity: if (v.is_number_integer()) return v.dump(); break;
    case f_order: if (v.is_string() || v.is_number_integer()) return v.is_string() ? v.get<std::string>() : v.dump(); break;
  }
  return std::nullopt;
}

const char* json_expected(LogField f) {
  switch (f) {
    case f_time: return "seconds (a number) or an ISO-8601 time (a string)";
    case f_channel: return "a channel name (a string)";
    case f_sku: return "a SKU number";
    case f_quantity: return "a whole number of units";
    case f_order: return "an order id (a string or a whole number)";
  }
  return "";
}

OrderLog read_jsonl(const std::string& path, const std::string& text, const LogRoster& roster) {
  LogBuilder builder(path, roster);
  std::istringstream in(text);
  std::size_t line_no = 0;
  LogRecord r;
  for (std::size_t f = 0; f < kLogColumns.size(); ++f) r.where[f] = std::string("/") + kLogColumns[f];
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const std::string at = "line " + std::to_string(line_no);
    Json v;
    try {
      v = Json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      const std::string what = e.what();
      const auto syntax = what.find("syntax error");
      throw InputError(path, at + ", column " + std::to_string(std::max<std::size_t>(e.byte, 1)),
                       "not valid JSON (" + (syntax == std::string::npos ? what : what.substr(syntax)) + ")");
    }
    if (!v.is_object()) throw InputError(path, at, "expected an object like {\"time\": 0.5, \"channel\": \"storefront\", \"sku\": 3, \"quantity\": 1}, got " + describe_json(v));
    std::array<std::string, 5> values;
    r.text.fill(std::nullopt);
    for (const auto& [key, value] : v.items()) {
      const auto it = std::find(kLogColumns.begin(), kLogColumns.end(), key);
      if (it == kLogColumns.end())
        throw InputError(path, at + ", /" + json_pointer_escape(key), "unknown key; expected one of " + expected_columns());
      const auto f = static_cast<LogField>(it - kLogColumns.begin());
      if (f == f_order && value.is_null()) continue;
      auto s = json_field(value, f);
      if (!s) throw InputError(path, at + ", " + r.where[f], std::string("expected ") + json_expected(f) + ", got " + describe_json(value));
      values[f] = std::move(*s);
      r.text[f] = values[f];
    }
    for (LogField f : {f_time, f_channel, f_sku, f_quantity})
      if (!r.text[f]) throw InputError(path, at + ", " + r.where[f], "missing; every line needs " + std::string(kLogColumns[f]));
    r.line = line_no;
    builder.add(r);
  }
  return builder.finish(line_no);
}

std::string hash_hex(std::uint64_t h) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n \t") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

const char* log_format_name(LogFormat format) { return format == LogFormat::csv ? "csv" : "jsonl"; }

std::optional<LogFormat> log_format_of(std::string_view path) {
  auto ends = [&](std::string_view ext) { return path.size() > ext.size() && path.substr(path.size() - ext.size()) == ext; };
  if (ends(".csv")) return LogFormat::csv;
  if (ends(".jsonl") || ends(".ndjson")) return LogFormat::jsonl;
  return std::nullopt;
}

OrderLog read_order_log(const std::string& path, LogFormat format, const LogRoster& roster) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputError(path, "", "cannot read the order log");
  std::stringstream buf;
  buf << f.rdbuf();
  const std::string text = buf.str();
  OrderLog log = format == LogFormat::csv ? read_csv(path, text, roster) : read_jsonl(path, text, roster);
  log.hash = hash_hex(sim::hash_name(text));
  return log;
}

std::string format_log_time(Tick t) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%lld.%06lld", static_cast<long long>(t / 1'000'000), static_cast<long long>(t % 1'000'000));
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

void OrderRecorder::add(model::ChannelId channel, std::span<const model::OrderLine> lines, Tick t) {
  orders_.push_back({t, channel, static_cast<std::uint8_t>(lines.size()), static_cast<std::uint32_t>(lines_.size())});
  lines_.insert(lines_.end(), lines.begin(), lines.end());
}

std::string OrderRecorder::render(LogFormat format, const std::vector<std::string>& channel_names) const {
  std::vector<std::size_t> order(orders_.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return orders_[a].t < orders_[b].t; });
  std::string out = format == LogFormat::csv ? "time,channel,sku,quantity,order\n" : "";
  for (std::size_t k = 0; k < order.size(); ++k) {
    const Recorded& o = orders_[order[k]];
    const std::string t = format_log_time(o.t), number = std::to_string(k + 1);
    const std::string& name = channel_names[o.channel];
    const std::string channel = format == LogFormat::csv ? csv_field(name) : Json(name).dump();
    for (std::uint32_t i = o.first_line; i < o.first_line + o.line_count; ++i) {
      const std::string sku = std::to_string(lines_[i].sku), qty = std::to_string(lines_[i].qty);
      out += format == LogFormat::csv ? t + "," + channel + "," + sku + "," + qty + "," + number + "\n"
                                      : "{\"time\": " + t + ", \"channel\": " + channel + ", \"sku\": " + sku +
                                            ", \"quantity\": " + qty + ", \"order\": " + number + "}\n";
    }
  }
  return out;
}

}  // namespace estate::harness
