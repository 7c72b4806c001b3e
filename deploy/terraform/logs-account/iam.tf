data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  account_roots = [for id in var.workload_account_ids : "arn:${data.aws_partition.current.partition}:iam::${id}:root"]
  # Which principals of those accounts may assume the role: the named roles,
  # or any principal.
  trusted_principal_arns = length(var.workload_role_names) == 0 ? [
    for id in var.workload_account_ids : "arn:${data.aws_partition.current.partition}:iam::${id}:*"
    ] : flatten([
      for id in var.workload_account_ids : [
        for name in var.workload_role_names : "arn:${data.aws_partition.current.partition}:iam::${id}:role/${name}"
      ]
  ])

  log_group_arn_prefix = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:"
  # Each group, and with ":*" its streams: PutLogEvents is authorized on the
  # stream, the other actions on the group.
  log_group_arns = concat(
    flatten([for g in aws_cloudwatch_log_group.this : [g.arn, "${g.arn}:*"]]),
    var.log_group_prefix == "" ? [] : ["${local.log_group_arn_prefix}${var.log_group_prefix}*"],
  )
}

# The trust policy: principals of the workload accounts, with the external
# ID corral is configured with. The condition on aws:PrincipalArn narrows
# the account roots to the named roles without requiring them to exist
# when this is applied.
data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "WorkloadAccounts"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = local.account_roots
    }
    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [var.external_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:PrincipalArn"
      values   = local.trusted_principal_arns
    }
  }
}

resource "aws_iam_role" "shipper" {
  name                 = var.role_name
  description          = "Assumed by corral in the workload accounts to ship logs here."
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
  tags                 = var.tags
}

# Exactly the calls corral makes, on this module's resources only.
# deploy/terraform's test derives the list from corral's code and fails when
# the two differ.
data "aws_iam_policy_document" "shipper" {
  # CreateLogGroup and PutRetentionPolicy: corral creates a missing group
  # under log_group_prefix and sets its retention. TagResource: CreateLogGroup
  # with tags (cloudwatch.tags) needs it.
  statement {
    sid = "ShipToLogGroups"
    actions = [
      "logs:CreateLogGroup",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:PutRetentionPolicy",
      "logs:TagResource",
    ]
    resources = local.log_group_arns
  }

  # DescribeLogGroups (corral doctor looks for the groups before creating
  # them) lists the account's groups: it is authorized on the whole
  # log-group space of the account and region (":log-group::log-stream:"),
  # so it cannot be narrowed to the groups above. It shows group names and
  # settings, not events.
  statement {
    sid       = "FindLogGroups"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["${local.log_group_arn_prefix}*"]
  }

  # The S3 source lists a prefix (poll mode) and reads the objects the
  # queue announces.
  statement {
    sid       = "ListLogBucket"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.logs.arn]
  }
  statement {
    sid       = "ReadLogObjects"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.logs.arn}/*"]
  }

  # The batch calls (DeleteMessageBatch, ChangeMessageVisibilityBatch) are
  # authorized by the single-message actions.
  statement {
    sid = "ConsumeObjectQueue"
    actions = [
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:ReceiveMessage",
    ]
    resources = [aws_sqs_queue.objects.arn]
  }
}

resource "aws_iam_role_policy" "shipper" {
  name   = "corral-shipper"
  role   = aws_iam_role.shipper.id
  policy = data.aws_iam_policy_document.shipper.json

  lifecycle {
    precondition {
      condition     = length(local.log_group_arns) > 0
      error_message = "Set log_group_names or log_group_prefix: corral needs a log group to write to."
    }
  }
}
