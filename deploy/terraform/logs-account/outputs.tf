output "shipper_role_arn" {
  description = "aws.assume_role.role_arn in corral's config, and shipper_role_arn of the workload-account module."
  value       = aws_iam_role.shipper.arn
}

output "log_group_arns" {
  description = "ARNs of the log groups created here."
  value       = [for g in aws_cloudwatch_log_group.this : g.arn]
}

output "bucket_arn" {
  description = "logs_bucket_arn of the workload-account module: where VPC Flow Logs and CloudTrail deliver."
  value       = aws_s3_bucket.logs.arn
}

output "queue_url" {
  description = "The queue corral's S3 source reads."
  value       = aws_sqs_queue.objects.id
}

output "dead_letter_queue_url" {
  description = "Messages for objects corral failed to read max_receive_count times."
  value       = aws_sqs_queue.dead_letter.id
}
