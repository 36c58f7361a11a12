"""The e-mail channel: sending forms and reminders (SMTP), collecting replies (IMAP).

``send.send_forms`` (``entretien courriel envoyer``), ``reminders.send_reminders``
(``entretien courriel relancer``) and ``reminders.send_due_reminders`` (the
watcher's scheduled reminders) each return a ``send.MailReport``;
``secrets.mail_password`` and ``store_password`` find and keep the password
outside ``entretien.toml``; ``collect.collect_mailbox`` drops the mailbox's
messages into the inbox, where ``unpack.unpack_message`` takes their attachments,
and ``acknowledge.acknowledgement`` writes the reply. Nothing is imported here:
the inbox imports ``unpack`` without the sending side (and its renderers).
"""
