#include "attestation/dcap/tcb.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/encoding.h"
#include "base/status.h"

namespace cocoon::attestation::dcap {
namespace {

struct StatusName {
  TcbStatus status;
  absl::string_view name;
};
constexpr StatusName kNames[] = {
    {TcbStatus::kUpToDate, "UpToDate"},
    {TcbStatus::kSwHardeningNeeded, "SWHardeningNeeded"},
    {TcbStatus::kConfigurationNeeded, "ConfigurationNeeded"},
    {TcbStatus::kConfigurationAndSwHardeningNeeded, "ConfigurationAndSWHardeningNeeded"},
    {TcbStatus::kOutOfDate, "OutOfDate"},
    {TcbStatus::kOutOfDateConfigurationNeeded, "OutOfDateConfigurationNeeded"},
    {TcbStatus::kRevoked, "Revoked"},
    {TcbStatus::kTdRelaunchAdvised, "TDRelaunchAdvised"},
    {TcbStatus::kTdRelaunchAdvisedConfigurationNeeded, "TDRelaunchAdvisedConfigurationNeeded"},
    {TcbStatus::kNotSupported, "NotSupported"},
};

bool NeedsConfiguration(TcbStatus s) {
  return s == TcbStatus::kConfigurationNeeded ||
         s == TcbStatus::kConfigurationAndSwHardeningNeeded ||
         s == TcbStatus::kOutOfDateConfigurationNeeded;
}

// Accepted statuses for a platform level, a module level and a QE level.
absl::StatusOr<TcbStatus> LevelStatus(absl::string_view name, absl::string_view where,
                                      bool module_level) {
  auto s = ParseTcbStatus(name);
  const bool ok = s.ok() && *s != TcbStatus::kNotSupported && *s != TcbStatus::kTdRelaunchAdvised &&
                  *s != TcbStatus::kTdRelaunchAdvisedConfigurationNeeded &&
                  (!module_level || *s == TcbStatus::kUpToDate || *s == TcbStatus::kOutOfDate ||
                   *s == TcbStatus::kRevoked);
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": unrecognized TCB status \"", name, "\""));
  }
  return *s;
}

void AddAdvisories(std::vector<std::string>* out, const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    if (std::find(out->begin(), out->end(), id) == out->end()) out->push_back(id);
  }
}

const TdxModuleIdentity* FindModuleIdentity(const TcbInfo& info, uint8_t version) {
  const std::string want = absl::StrFormat("TDX_%02X", version);
  for (const auto& mi : info.tdx_module_identities) {
    if (absl::EqualsIgnoreCase(mi.id, want)) return &mi;
  }
  return nullptr;
}

struct Single {
  TcbStatus status = TcbStatus::kNotSupported;
  std::string date;
  std::vector<std::string> advisories;
  std::optional<std::string> platform, module, qe;
};

absl::StatusOr<Single> EvaluateWith(absl::string_view tee, const SgxExtensions& pck,
                                    const TcbInfo& info, const QeIdentity& qe_id,
                                    uint16_t qe_isvsvn) {
  Single out;
  const uint8_t module_version = static_cast<uint8_t>(tee[1]);
  const size_t start = module_version > 0 ? 2 : 0;
  const TcbLevel* platform = nullptr;
  for (const auto& level : info.tcb_levels) {
    bool match = pck.pcesvn >= level.pcesvn;
    for (size_t i = 0; match && i < 16; ++i)
      match = pck.cpu_svn_components[i] >= level.sgx_components[i];
    for (size_t i = start; match && i < 16; ++i) {
      match = static_cast<uint8_t>(tee[i]) >= level.tdx_components[i];
    }
    if (match) {
      platform = &level;
      break;
    }
  }
  if (platform == nullptr) return out;  // not supported
  COCOON_ASSIGN_OR_RETURN(TcbStatus status,
                          LevelStatus(platform->tcb_status, "tcbInfo level", false));
  out.platform = platform->tcb_status;
  std::string date = platform->tcb_date;
  AddAdvisories(&out.advisories, platform->advisory_ids);
  std::vector<TcbStatus> components;
  if (module_version > 0) {
    const TdxModuleIdentity* mi = FindModuleIdentity(info, module_version);
    if (mi == nullptr) return out;
    const IsvTcbLevel* ml = nullptr;
    for (const auto& l : mi->tcb_levels) {
      if (static_cast<uint8_t>(tee[0]) >= l.isvsvn) {
        ml = &l;
        break;
      }
    }
    if (ml == nullptr) return out;
    COCOON_ASSIGN_OR_RETURN(TcbStatus ms, LevelStatus(ml->tcb_status, "TDX module level", true));
    components.push_back(ms);
    out.module = ml->tcb_status;
    date = std::min(date, ml->tcb_date);
    AddAdvisories(&out.advisories, ml->advisory_ids);
  }
  const IsvTcbLevel* ql = nullptr;
  for (const auto& l : qe_id.tcb_levels) {
    if (l.isvsvn <= qe_isvsvn) {
      ql = &l;
      break;
    }
  }
  if (ql == nullptr) return out;
  COCOON_ASSIGN_OR_RETURN(TcbStatus qs, LevelStatus(ql->tcb_status, "QE identity level", false));
  components.push_back(qs);
  out.qe = ql->tcb_status;
  date = std::min(date, ql->tcb_date);
  AddAdvisories(&out.advisories, ql->advisory_ids);

  if (std::find(components.begin(), components.end(), TcbStatus::kOutOfDate) != components.end()) {
    if (status == TcbStatus::kUpToDate || status == TcbStatus::kSwHardeningNeeded) {
      status = TcbStatus::kOutOfDate;
    } else if (status == TcbStatus::kConfigurationNeeded ||
               status == TcbStatus::kConfigurationAndSwHardeningNeeded) {
      status = TcbStatus::kOutOfDateConfigurationNeeded;
    }
  }
  if (std::find(components.begin(), components.end(), TcbStatus::kRevoked) != components.end()) {
    status = TcbStatus::kRevoked;
  }
  out.status = status;
  out.date = date;  // RFC 3339 strings of one format compare chronologically
  return out;
}

}  // namespace

absl::string_view TcbStatusName(TcbStatus status) {
  for (const auto& n : kNames) {
    if (n.status == status) return n.name;
  }
  return "NotSupported";
}

absl::StatusOr<TcbStatus> ParseTcbStatus(absl::string_view name) {
  for (const auto& n : kNames) {
    if (n.name == name) return n.status;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown TCB status \"", name, "\""));
}

absl::Status CheckQeIdentity(const EnclaveReport& qe, const QeIdentity& id) {
  if (id.id != "TD_QE" || id.version != 2) {
    return absl::InvalidArgumentError(absl::StrCat("QE identity mismatch: collateral is \"", id.id,
                                                   "\" version ", id.version,
                                                   ", a TDX quote needs TD_QE version 2"));
  }
  if ((qe.misc_select & id.miscselect_mask) != id.miscselect) {
    return absl::PermissionDeniedError("QE identity mismatch: MISCSELECT");
  }
  for (size_t i = 0; i < 16; ++i) {
    if ((static_cast<uint8_t>(qe.attributes[i]) & static_cast<uint8_t>(id.attributes_mask[i])) !=
        static_cast<uint8_t>(id.attributes[i])) {
      return absl::PermissionDeniedError("QE identity mismatch: ATTRIBUTES");
    }
  }
  if (qe.mr_signer != id.mrsigner) {
    return absl::PermissionDeniedError(absl::StrCat("QE identity mismatch: MRSIGNER ",
                                                    HexEncode(qe.mr_signer), " is not ",
                                                    HexEncode(id.mrsigner)));
  }
  if (qe.isv_prod_id != id.isvprodid) {
    return absl::PermissionDeniedError(
        absl::StrCat("QE identity mismatch: ISVPRODID ", qe.isv_prod_id, " is not ", id.isvprodid));
  }
  return absl::OkStatus();
}

absl::Status CheckTdxModule(const TdQuoteBody& body, const TcbInfo& info) {
  const uint8_t version = static_cast<uint8_t>(body.tee_tcb_svn[1]);
  const TdxModuleIdentity* mi = nullptr;
  if (version > 0) {
    mi = FindModuleIdentity(info, version);
    if (mi == nullptr) {
      return absl::PermissionDeniedError(absl::StrFormat(
          "TDX module mismatch: the TCB info has no module identity TDX_%02X", version));
    }
  } else {
    if (!info.tdx_module) {
      return absl::PermissionDeniedError("TDX module mismatch: the TCB info has no tdxModule");
    }
    mi = &*info.tdx_module;
  }
  if (body.mrsigner_seam != mi->mrsigner) {
    return absl::PermissionDeniedError(
        absl::StrCat("TDX module mismatch: MRSIGNERSEAM ", HexEncode(body.mrsigner_seam),
                     " is not the module signer ", HexEncode(mi->mrsigner)));
  }
  for (size_t i = 0; i < 8; ++i) {
    if (body.seam_attributes[i] != 0 || body.seam_attributes[i] != mi->attributes[i]) {
      return absl::PermissionDeniedError(
          absl::StrCat("TDX module mismatch: SEAMATTRIBUTES ", HexEncode(body.seam_attributes)));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<TcbEvaluation> EvaluateTcb(const Quote& quote, const SgxExtensions& pck,
                                          const TcbInfo& info, const QeIdentity& qe_id) {
  if (info.id != "TDX" || info.version < 3) {
    return absl::InvalidArgumentError(absl::StrCat("TCB info mismatch: id \"", info.id,
                                                   "\" version ", info.version,
                                                   " is not TDX TCB info v3"));
  }
  if (info.tcb_type != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("TCB info: unsupported tcbType ", info.tcb_type));
  }
  if (info.fmspc != pck.fmspc) {
    return absl::InvalidArgumentError(absl::StrCat("TCB info mismatch: FMSPC ",
                                                   HexEncode(info.fmspc), " is not the PCK's ",
                                                   HexEncode(pck.fmspc)));
  }
  if (info.pce_id != pck.pce_id) {
    return absl::InvalidArgumentError(absl::StrCat("TCB info mismatch: PCE-ID ",
                                                   HexEncode(info.pce_id), " is not the PCK's ",
                                                   HexEncode(pck.pce_id)));
  }
  const uint16_t qe_isvsvn = quote.qe_report.isv_svn;
  COCOON_ASSIGN_OR_RETURN(Single launch,
                          EvaluateWith(quote.body.tee_tcb_svn, pck, info, qe_id, qe_isvsvn));
  TcbEvaluation ev;
  ev.status = launch.status;
  ev.platform_status = launch.platform;
  ev.module_status = launch.module;
  ev.qe_status = launch.qe;
  if (launch.status != TcbStatus::kNotSupported) {
    ev.tcb_date = launch.date;
    ev.advisory_ids = launch.advisories;
  }
  if (quote.body.tee_tcb_svn2 && launch.status != TcbStatus::kNotSupported) {
    COCOON_ASSIGN_OR_RETURN(Single current,
                            EvaluateWith(*quote.body.tee_tcb_svn2, pck, info, qe_id, qe_isvsvn));
    ev.current_status = current.status;
    ev.current_tcb_date = current.date;
    ev.current_advisory_ids = current.advisories;
    const bool launch_outdated = launch.status == TcbStatus::kOutOfDate ||
                                 launch.status == TcbStatus::kOutOfDateConfigurationNeeded;
    const bool current_ok = current.status == TcbStatus::kUpToDate ||
                            current.status == TcbStatus::kSwHardeningNeeded ||
                            current.status == TcbStatus::kConfigurationNeeded ||
                            current.status == TcbStatus::kConfigurationAndSwHardeningNeeded;
    if (launch_outdated && current_ok) {
      ev.status = (NeedsConfiguration(launch.status) || NeedsConfiguration(current.status))
                      ? TcbStatus::kTdRelaunchAdvisedConfigurationNeeded
                      : TcbStatus::kTdRelaunchAdvised;
    }
  }
  return ev;
}

}  // namespace cocoon::attestation::dcap
