#pragma once
// Identifiers shared by every system in the estate. Dense integers: SKUs are numbered by
// popularity rank (0 = best seller), locations and channels by declaration order, orders by
// the order in which channels accepted them.
#include <bit>
#include <cstddef>
#include <cstdint>

namespace estate::model {

using SkuId = std::uint32_t;
using LocId = std::uint16_t;
using ChannelId = std::uint8_t;
using OrderId = std::uint32_t;
using Address = std::uint16_t;  // a component's place in its host
using LineMask = std::uint16_t; // bit i = line i of an order

inline constexpr int kMaxLinesPerOrder = 16;
inline constexpr OrderId kNoOrder = 0xffffffffu;
inline constexpr Address kNoAddress = 0xffff;

inline int line_count(LineMask mask) { return std::popcount(mask); }
inline bool has_line(LineMask mask, std::size_t line) { return ((static_cast<unsigned>(mask) >> line) & 1u) != 0; }
inline bool has_bit(unsigned bits, std::size_t i) { return ((bits >> i) & 1u) != 0; }
inline LineMask all_lines(int n) { return static_cast<LineMask>((1u << n) - 1); }

}  // namespace estate::model
