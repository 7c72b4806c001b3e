output "instance_profile_name" {
  description = "Launch the hosts that run corral with this instance profile."
  value       = aws_iam_instance_profile.instance.name
}

output "instance_role_arn" {
  description = "Give it to the logs-account module's workload_role_names (by name) to trust only this role."
  value       = aws_iam_role.instance.arn
}

output "ecs_task_role_arn" {
  description = "taskRoleArn of deploy/ecs/daemon-task.json, when create_ecs_task_role is set."
  value       = one(aws_iam_role.ecs_task[*].arn)
}
