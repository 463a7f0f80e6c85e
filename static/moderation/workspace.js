// The moderators workspace keyboard: built by issue 14.
