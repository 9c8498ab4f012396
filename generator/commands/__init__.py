"""The toolkit's commands that use a generated package: `validate` (recorded traffic), `status` (a job's
subtask, watched to its end) and `vendor` (a copy in another project), with what they share: finding the
package, the progress bar and the table. They sit above the pipeline: nothing in the generator imports them."""
