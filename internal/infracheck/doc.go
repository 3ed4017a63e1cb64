// Package infracheck evaluates the Terraform environments under infra/ offline and answers questions about
// them: which resources exist with which settings, and, through iampolicy, whether a principal (an IAM user,
// a role, an AWS service) may perform an action on a resource, given every identity, bucket, topic, queue,
// key and trust policy the configuration creates. Its tests hold the system's security properties: every
// bucket protected, single sources of truth for the state machine and the event pattern, and the permission
// matrix of least privilege.
package infracheck
