data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

# All corral does with the host's own identity: assume the shipper role in
# the logs account. Everything else it does as that role.
data "aws_iam_policy_document" "assume_shipper" {
  statement {
    sid       = "AssumeShipper"
    actions   = ["sts:AssumeRole"]
    resources = [var.shipper_role_arn]
  }
}

data "aws_iam_policy_document" "ec2_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "instance" {
  name               = var.role_name
  description        = "Instance role of hosts running corral: it may assume the shipper role in the logs account."
  assume_role_policy = data.aws_iam_policy_document.ec2_trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "instance_assume_shipper" {
  name   = "corral-assume-shipper"
  role   = aws_iam_role.instance.id
  policy = data.aws_iam_policy_document.assume_shipper.json
}

resource "aws_iam_instance_profile" "instance" {
  name = var.role_name
  role = aws_iam_role.instance.name
  tags = var.tags
}

# The ECS daemon task's role, when corral runs as a task: tasks of this
# account only.
data "aws_iam_policy_document" "ecs_tasks_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:ecs:*:${data.aws_caller_identity.current.account_id}:*"]
    }
  }
}

resource "aws_iam_role" "ecs_task" {
  count              = var.create_ecs_task_role ? 1 : 0
  name               = var.ecs_task_role_name
  description        = "Task role of corral's ECS daemon: it may assume the shipper role in the logs account."
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "ecs_task_assume_shipper" {
  count  = var.create_ecs_task_role ? 1 : 0
  name   = "corral-assume-shipper"
  role   = aws_iam_role.ecs_task[0].id
  policy = data.aws_iam_policy_document.assume_shipper.json
}

# VPC Flow Logs written straight to the logs account's bucket, as plain
# text with a header line, under AWSLogs/<this account>/vpcflowlogs/; the
# bucket announces each file to corral's queue.
resource "aws_flow_log" "vpc" {
  for_each = toset(var.vpc_ids)

  vpc_id                   = each.value
  traffic_type             = var.flow_log_traffic_type
  log_destination_type     = "s3"
  log_destination          = var.logs_bucket_arn
  max_aggregation_interval = 600
  destination_options {
    file_format                = "plain-text"
    hive_compatible_partitions = false
    per_hour_partition         = false
  }
  tags = var.tags
}
