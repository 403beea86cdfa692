#pragma once
// The files report.html inlines, embedded in the binary at build time: the definitions are
// generated from the files themselves by reports/CMakeLists.txt (html_assets.cpp in the build
// tree), so the estate binary needs nothing from the repository at runtime.
#include <string_view>

namespace estate::reports::html_assets {

std::string_view uplot_js();   // third_party/uplot/dist/uPlot.iife.min.js
std::string_view uplot_css();  // third_party/uplot/dist/uPlot.min.css
std::string_view page_js();    // reports/html_page.js: builds the page from the embedded data
std::string_view page_css();   // reports/html_page.css
std::string_view capacity_js();  // reports/capacity_page.js: builds capacity.html from sweep.json

}  // namespace estate::reports::html_assets
