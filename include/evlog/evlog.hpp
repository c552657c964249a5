// Everything generic in evlog: core, file, log. Domains (spec, memory) and
// the SQLite adapter are included on their own.
#pragma once

#include <evlog/core/codec.hpp>
#include <evlog/core/errors.hpp>
#include <evlog/core/event.hpp>
#include <evlog/core/json.hpp>
#include <evlog/core/time.hpp>
#include <evlog/core/ulid.hpp>
#include <evlog/file/atomic_file.hpp>
#include <evlog/file/io.hpp>
#include <evlog/file/posix_file.hpp>
#include <evlog/log/append_log.hpp>
#include <evlog/log/format.hpp>
#include <evlog/log/fsync_policy.hpp>
#include <evlog/log/repair.hpp>
#include <evlog/log/repair_policy.hpp>
#include <evlog/log/replay.hpp>
#include <evlog/version.hpp>
