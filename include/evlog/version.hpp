// evlog version (placeholder; keep in sync with project() in meson.build).
#pragma once

#define EVLOG_VERSION_MAJOR 0
#define EVLOG_VERSION_MINOR 1
#define EVLOG_VERSION_PATCH 0

namespace evlog {
inline constexpr const char* version = "0.1.0";
}
