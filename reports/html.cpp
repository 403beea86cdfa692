#include "reports/html.h"

#include <initializer_list>
#include <string_view>
#include <utility>

#include "reports/html_assets.h"

namespace estate::reports {

namespace {

using Json = nlohmann::ordered_json;

// A series as columns, {"t_s": [...], "p99_s": [...]}: the shape uPlot draws from, in a
// fraction of the bytes. Only the named fields are kept; a point without one gives null.
Json columns(const Json& points, std::initializer_list<const char*> keys) {
  Json out = Json::object();
  for (const char* k : keys) out[k] = Json::array();
  if (!points.is_array()) return out;
  for (const auto& p : points)
    for (const char* k : keys) out[k].push_back(p.is_object() && p.contains(k) ? p[k] : Json(nullptr));
  return out;
}

// A copy of an object section with its series (named in `series`) turned into columns.
Json section(const Json& src, std::initializer_list<std::pair<const char*, std::initializer_list<const char*>>> series) {
  if (!src.is_object()) return src;
  Json out = Json::object();
  for (const auto& [key, value] : src.items()) {
    const auto* s = series.begin();
    while (s != series.end() && key != s->first) ++s;
    out[key] = s == series.end() ? value : columns(value, s->second);
  }
  return out;
}

// What the page charts and tabulates: the report without the fields nobody draws (the
// per-interval latency series, means and counts, the queue snapshots), series as columns.
Json page_data(const Json& r) {
  Json d = Json::object();
  for (const char* key : {"scenario", "verdict", "thresholds", "run", "timeline", "integrity", "outages", "windows", "live"})
    if (r.contains(key)) d[key] = r[key];
  if (const auto it = r.find("latency"); it != r.end() && it->is_object()) {
    Json& flows = d["latency"] = Json::object();
    // Percentile lines are drawn from windows that hold enough events, not from the
    // per-interval series (whose quiet intervals give a p99 that is just their largest value).
    for (const auto& [flow, v] : it->items()) {
      Json f = section(v, {{"plot_windows", {"t_s", "end_s", "count", "p50_s", "p90_s", "p99_s", "max_s"}}});
      if (f.is_object()) f.erase("series");
      flows[flow] = std::move(f);
    }
  }
  if (r.contains("oversell")) d["oversell"] = section(r["oversell"], {{"series", {"t_s", "cumulative_units"}}});
  if (r.contains("reconciliation")) {
    const auto fields = {"t_s", "variance", "record_mismatch_rate", "channel_view_variance"};
    d["reconciliation"] = section(r["reconciliation"], {{"series", fields}, {"sampled", fields}});
  }
  if (r.contains("retries")) d["retries"] = section(r["retries"], {{"series", {"t_s", "retries", "erp_429"}}});
  if (const auto it = r.find("stages"); it != r.end() && it->is_object()) {
    Json& stages = d["stages"] = Json::object();
    for (const auto& [name, v] : it->items())
      stages[name] = section(v, {{"series", {"t_s", "throughput_per_s", "peak_queue", "busy"}}});
  }
  return d;
}

// JSON that is safe inside <script>: no "<", ">" or "&" (only ever inside strings, where the
// \u escapes mean the same), and no U+2028/U+2029.
std::string script_json(const Json& data) {
  const std::string text = data.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size() + text.size() / 64);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '<') out += "\\u003c";
    else if (c == '>') out += "\\u003e";
    else if (c == '&') out += "\\u0026";
    else if (c == '\xE2' && i + 2 < text.size() && text[i + 1] == '\x80' && (text[i + 2] == '\xA8' || text[i + 2] == '\xA9')) {
      out += text[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

// An inlined script or style sheet must not close its element early. The vendored and
// page files contain no "</"; this keeps it so if they ever do.
std::string raw_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] == '<' && i + 1 < text.size() && text[i + 1] == '/') out += '\\';
  }
  return out;
}

std::string escape_html(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

}  // namespace

// The page: CSP (nothing may be fetched), inlined CSS, the data, uPlot and the page's script,
// which builds the tables and charts. No timestamps or ids: same report, same bytes.
std::string render_html(const nlohmann::ordered_json& report) {
  std::string name = "estate report";
  if (const auto sc = report.find("scenario"); sc != report.end() && sc->is_object())
    if (const auto n = sc->find("name"); n != sc->end() && n->is_string()) name = n->get<std::string>() + " \xE2\x80\x94 estate report";
  return html_page(name, page_data(report), html_assets::page_js(), "report.json");
}

std::string html_page(const std::string& name, const nlohmann::ordered_json& data, std::string_view script, const std::string& source) {
  std::string html;
  html.reserve(512 * 1024);
  html += "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; "
          "style-src 'unsafe-inline'; img-src data:\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += "<title>" + escape_html(name) + "</title>\n";
  html += "<style>\n" + raw_text(html_assets::uplot_css()) + "\n</style>\n";
  html += "<style>\n" + raw_text(html_assets::page_css()) + "\n</style>\n";
  html += "</head>\n<body>\n";
  html += "<noscript><p class=\"noscript\">This report draws its tables and charts with JavaScript, which is off. "
          "The same figures are in " + source + " beside this file.</p></noscript>\n";
  html += "<main id=\"report\"></main>\n";
  html += "<script type=\"application/json\" id=\"estate-data\">" + script_json(data) + "</script>\n";
  html += "<script>\n" + raw_text(html_assets::uplot_js()) + "\n</script>\n";
  html += "<script>\n" + raw_text(script) + "\n</script>\n";
  html += "</body>\n</html>\n";
  return html;
}

}  // namespace estate::reports
