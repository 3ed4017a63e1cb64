output "state_machine_arn" {
  description = "ARN of the sanitizer state machine (for `sanitizer executions|replay|redrive --state-machine`)."
  value       = aws_sfn_state_machine.sanitizer.arn
}

output "state_machine_name" {
  description = "Name of the sanitizer state machine."
  value       = aws_sfn_state_machine.sanitizer.name
}

output "state_machine_type" {
  description = "STANDARD or EXPRESS."
  value       = aws_sfn_state_machine.sanitizer.type
}

output "state_machine_role_arn" {
  description = "ARN of the state machine's role: the only principal allowed to publish to the failure topic."
  value       = aws_iam_role.state_machine.arn
}

output "function_arns" {
  description = "Lambda function ARNs by step."
  value       = { for step, fn in aws_lambda_function.step : step => fn.arn }
}

output "function_role_arns" {
  description = "Execution role ARNs by step."
  value       = { for step, role in aws_iam_role.function : step => role.arn }
}

output "role_arns" {
  description = "Every role of the pipeline (six functions, the state machine, the event rule): bucket A denies them all writes."
  value = concat(
    [for role in aws_iam_role.function : role.arn],
    [aws_iam_role.state_machine.arn, aws_iam_role.events.arn],
  )
}

output "event_rule_arn" {
  description = "ARN of the EventBridge rule that starts executions."
  value       = aws_cloudwatch_event_rule.uploads.arn
}

output "dead_letter_queue_arn" {
  description = "ARN of the SQS queue holding events EventBridge could not deliver."
  value       = aws_sqs_queue.dlq.arn
}

output "dead_letter_queue_name" {
  description = "Name of the SQS dead-letter queue (for its depth alarm)."
  value       = aws_sqs_queue.dlq.name
}

output "dead_letter_queue_url" {
  description = "URL of the SQS dead-letter queue (to inspect and redrive undelivered events)."
  value       = aws_sqs_queue.dlq.id
}

output "state_machine_log_group" {
  description = "CloudWatch Logs group of the state machine (the history of EXPRESS executions)."
  value       = aws_cloudwatch_log_group.state_machine.name
}
