"""Post-incident reviews: start (generated draft), edit, sign off, publish, addenda, renditions.

- `vocabulary`: the review's sections, audiences and limits;
- `rights`: who may read, edit, lead (the rules below);
- `draft`: the record generated from the log, milestones, deadlines and metrics;
- `services`: start, edit, sign off, publish, addenda;
- `renditions`: what each audience reads.

Who may do what (pages and API apply the same rules; the services check):

- start and publish: commander-eligible users, or whoever holds the
  incident's commander role;
- edit the draft, regenerate it, add addenda: responders and commanders;
- sign off the regulator disclosure: the incident's regulator liaison;
- read: responders and commanders every rendition of drafts and published
  reviews; executives the technical and executive renditions of published
  reviews; regulator viewers only the regulator rendition, and only once it
  is signed off and the review published.

Only a resolved incident can be reviewed. Publishing freezes the review
(ORM and database triggers), writes a log entry and moves the incident to
"reviewed"; later findings are numbered addenda, also logged.
"""
