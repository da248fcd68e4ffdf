/** The token / password form: shown when the gateway asks for one, or refused the stored one. */
import { useState } from "preact/hooks";

interface TokenFormProps {
  /** Why it is shown (the banner's detail). */
  reason: string;
  onSubmit: (secret: string) => void;
}

/** Asks for the gateway token or password; it is stored for this origin on submit. */
export function TokenForm({ reason, onSubmit }: TokenFormProps) {
  const [value, setValue] = useState("");
  return (
    <form
      class="card token-form"
      onSubmit={(e) => {
        // form-action 'none' forbids a real submission; the secret goes over the WebSocket only.
        e.preventDefault();
        if (value.trim()) onSubmit(value.trim());
      }}
    >
      <h2>Sign in to this gateway</h2>
      <p class="muted">{reason} It is kept in this browser for this address only (localStorage).</p>
      <div class="row">
        <input
          type="password"
          class="input grow"
          data-testid="token-input"
          placeholder="Gateway token or password"
          autocomplete="current-password"
          value={value}
          onInput={(e) => setValue(e.currentTarget.value)}
          autofocus
        />
        <button type="submit" class="btn btn-primary" data-testid="token-submit" disabled={!value.trim()}>
          Connect
        </button>
      </div>
      <p class="muted small">
        Find it with <code>onebrain config get gateway.auth.token --reveal</code> or in <code>ONEBRAIN_GATEWAY_TOKEN</code> on the gateway host.
      </p>
    </form>
  );
}
