#include "core/experiment/validation_split.h"

#include "core/experiment/evaluation_protocol.h"
#include "core/experiment/pipeline_stages.h"
#include "core/prep/splitter.h"
#include "core/util/error.h"

namespace rwb {

ValidationKind validationKindFor(const std::string& splitMethod) {
  if (splitMethod == "cold_items") return ValidationKind::kColdItems;
  if (splitMethod == "cold_users") return ValidationKind::kColdUsers;
  return ValidationKind::kUserRows;
}

ValidationKind validationKindFor(const std::string& splitMethod, const std::string& by) {
  if ((splitMethod == "stratified" || splitMethod == "recommenders") && by == "item") {
    return ValidationKind::kItemRows;
  }
  return validationKindFor(splitMethod);
}

ValidationSplit carveValidation(const Dataset& train, ValidationKind kind, double ratio,
                                std::uint64_t seed, TaskContext& ctx) {
  SplitOptions carve;
  carve.ratio = ratio;
  carve.seed = seed;
  switch (kind) {
    case ValidationKind::kUserRows:
      carve.method = SplitMethod::kStratified;
      carve.by = SplitBy::kUser;
      break;
    case ValidationKind::kItemRows:
      carve.method = SplitMethod::kStratified;
      carve.by = SplitBy::kItem;
      break;
    case ValidationKind::kColdItems:
      carve.method = SplitMethod::kColdItems;
      break;
    case ValidationKind::kColdUsers:
      carve.method = SplitMethod::kColdUsers;
      break;
  }
  const SplitResult vs = splitDataset(train, carve, ctx);
  if (vs.train.empty() || vs.test.empty()) {
    throw ModelError(
        "the validation split of the training data is empty; lower validation_ratio "
        "or use more data");
  }
  ValidationSplit out;
  out.hash = vs.hash();
  out.fit = train.withRows(vs.train);
  out.valid = train.withRows(vs.test);
  if (kind == ValidationKind::kColdItems) {
    out.candidates = heldOutItems(out.fit, out.valid);
    out.valid = restrictToItems(out.valid, out.candidates);
  }
  out.users = usersWithInteractions(out.valid);
  return out;
}

std::vector<RecList> validationLists(const Model& model, const ValidationSplit& split,
                                     std::size_t k, TaskContext& ctx) {
  if (split.candidates.empty()) return model.recommendBatch(split.users, k, true, ctx);
  return recommendAmong(model, split.users, split.candidates, k, ctx).lists;
}

}  // namespace rwb
