// Status helpers on absl::Status / absl::StatusOr.
//
// Library code returns absl::Status with context added as the error travels up; one place per
// edge (CLI exit, HTTP, gRPC) turns it into a wire status. Messages must never contain secrets.
#ifndef COCOON_BASE_STATUS_H_
#define COCOON_BASE_STATUS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cocoon {

// Returns `status` with "context: " prepended to its message; OK stays OK. The code and payloads
// are kept, so callers further up can still branch on the code.
absl::Status Annotate(const absl::Status& status, absl::string_view context);

}  // namespace cocoon

#define COCOON_STATUS_CONCAT_INNER_(a, b) a##b
#define COCOON_STATUS_CONCAT_(a, b) COCOON_STATUS_CONCAT_INNER_(a, b)

// Returns from the current function if `expr` (an absl::Status) is not OK.
#define COCOON_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::absl::Status cocoon_status_ = (expr);          \
    if (!cocoon_status_.ok()) return cocoon_status_; \
  } while (0)

// Like COCOON_RETURN_IF_ERROR, with "context: " prepended to the message.
#define COCOON_RETURN_IF_ERROR_CTX(expr, context)                                   \
  do {                                                                              \
    ::absl::Status cocoon_status_ = (expr);                                         \
    if (!cocoon_status_.ok()) return ::cocoon::Annotate(cocoon_status_, (context)); \
  } while (0)

// COCOON_ASSIGN_OR_RETURN(auto x, Foo()); evaluates an absl::StatusOr, returns its status on
// error, otherwise moves the value into `lhs`.
#define COCOON_ASSIGN_OR_RETURN(lhs, expr) \
  COCOON_ASSIGN_OR_RETURN_IMPL_(COCOON_STATUS_CONCAT_(cocoon_statusor_, __LINE__), lhs, expr)

#define COCOON_ASSIGN_OR_RETURN_IMPL_(var, lhs, expr) \
  auto var = (expr);                                  \
  if (!var.ok()) return var.status();                 \
  lhs = std::move(var).value()

// Same, with "context: " prepended to the message on error.
#define COCOON_ASSIGN_OR_RETURN_CTX(lhs, expr, context)                                           \
  COCOON_ASSIGN_OR_RETURN_CTX_IMPL_(COCOON_STATUS_CONCAT_(cocoon_statusor_, __LINE__), lhs, expr, \
                                    context)

#define COCOON_ASSIGN_OR_RETURN_CTX_IMPL_(var, lhs, expr, context)   \
  auto var = (expr);                                                 \
  if (!var.ok()) return ::cocoon::Annotate(var.status(), (context)); \
  lhs = std::move(var).value()

#endif  // COCOON_BASE_STATUS_H_
