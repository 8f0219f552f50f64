/** Recipient groups: list, add, edit members, remove (admins; viewers read). */
import { useState } from 'react';
import type { RecipientGroup } from '../../../../shared/model/notify';
import { ConfirmDialog } from '../../components/common';
import { connectionSelectors, useConnectionStore } from '../../stores/connectionStore';
import { splitList, useNotifyStore } from '../../stores/notifyStore';
import { Field } from '../jobEditor/Field';

/** A member's error ("members.2") said with the member it is about. */
function membersError(fields: Record<string, string>, members: string[]): string | undefined {
  for (const [key, message] of Object.entries(fields)) {
    const m = /^members(?:\.(\d+))?$/.exec(key);
    if (m) return m[1] !== undefined && members[Number(m[1])] !== undefined ? `${members[Number(m[1])]}: ${message}` : message;
  }
  return undefined;
}

/** The add form (group null) or one group's edit form. */
function GroupForm({ group, onDone }: { group: RecipientGroup | null; onDone: () => void }) {
  const [name, setName] = useState(group?.name ?? '');
  const [text, setText] = useState(group?.members.join(', ') ?? '');
  const fields = useNotifyStore((s) => s.fields.groups) ?? {};
  const busy = useNotifyStore((s) => s.busy[`group:${name.trim()}`]);
  const { setGroup } = useNotifyStore.getState();
  const idp = group ? `group-${group.name}` : 'group-new';
  const members = splitList(text);
  const memberError = membersError(fields, members);
  return (
    <form
      className="group-form"
      noValidate
      aria-label={group ? `Edit group ${group.name}` : 'Add a group'}
      onSubmit={(e) => {
        e.preventDefault();
        void setGroup(name, members).then((ok) => ok && onDone());
      }}
    >
      {!group && (
        <Field id={`${idp}-name`} label="Group name" error={fields.name}>
          <input id={`${idp}-name`} className="input" value={name} placeholder="ops" autoFocus aria-invalid={fields.name ? true : undefined} onChange={(e) => setName(e.target.value)} />
        </Field>
      )}
      <Field id={`${idp}-members`} label="Members" error={memberError} hint="Email addresses, webhook:NAME or desktop, separated by commas">
        <textarea
          id={`${idp}-members`}
          className="input mono"
          rows={2}
          value={text}
          autoFocus={group !== null}
          placeholder="ann@example.com, webhook:chat"
          aria-invalid={memberError ? true : undefined}
          onChange={(e) => setText(e.target.value)}
        />
      </Field>
      <div className="row">
        <button type="submit" className="btn primary small" disabled={busy}>
          {group ? 'Save members' : 'Add group'}
        </button>
        <button type="button" className="btn small" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function GroupsPanel() {
  const groups = useNotifyStore((s) => s.groups);
  const error = useNotifyStore((s) => s.errors.groups);
  const canEdit = useConnectionStore(connectionSelectors.can('admin'));
  const { removeGroup } = useNotifyStore.getState();
  const [editing, setEditing] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<string | null>(null);
  const edit = (name: string | null) => {
    useNotifyStore.setState((s) => ({ fields: { ...s.fields, groups: {} }, errors: { ...s.errors, groups: undefined } }));
    setEditing(name);
  };
  return (
    <section className="panel panel-pad col-gap" aria-labelledby="groups-title" data-testid="groups-panel">
      <div className="row">
        <h3 id="groups-title" className="grow">
          Recipient groups
        </h3>
        {canEdit && editing !== '' && (
          <button type="button" className="btn small" onClick={() => edit('')}>
            Add group
          </button>
        )}
      </div>
      {error && (
        <div className="alert" role="alert">
          {error}
        </div>
      )}
      {editing === '' && <GroupForm group={null} onDone={() => edit(null)} />}
      {groups.length === 0 && editing !== '' && <p className="muted small" style={{ margin: 0 }}>No groups yet. A job&apos;s rules can name a group instead of its members.</p>}
      <ul className="plain-list">
        {groups.map((g) => (
          <li key={g.name} data-testid="group" data-group={g.name}>
            {editing === g.name ? (
              <GroupForm group={g} onDone={() => edit(null)} />
            ) : (
              <div className="row">
                <strong>{g.name}</strong>
                <span className="grow muted small wrap">{g.members.length ? g.members.join(', ') : 'no members'}</span>
                {canEdit && (
                  <>
                    <button type="button" className="btn small" aria-label={`Edit group ${g.name}`} onClick={() => edit(g.name)}>
                      Edit
                    </button>
                    <button type="button" className="btn small danger" aria-label={`Remove group ${g.name}`} onClick={() => setConfirm(g.name)}>
                      Remove
                    </button>
                  </>
                )}
              </div>
            )}
          </li>
        ))}
      </ul>
      <ConfirmDialog
        open={confirm !== null}
        title={`Remove group ${confirm ?? ''}?`}
        text="Rules that name this group will have no one to tell through it."
        confirm="Remove group"
        danger
        onConfirm={() => confirm && void removeGroup(confirm)}
        onClose={() => setConfirm(null)}
      />
    </section>
  );
}
