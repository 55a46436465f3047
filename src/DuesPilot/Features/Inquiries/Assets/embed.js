/*
 * DuesPilot billing assistant embed. Place in an iMIS content item (or any page):
 *   <script src="https://duespilot.example.org/members/inquiries/embed.js"
 *           data-token="SIGNED-MEMBER-TOKEN" data-height="560" async></script>
 * The token is issued per member by DuesPilot (see docs/ai.md); the script adds an iframe that
 * loads the assistant page from the same origin as this script, so no member data touches the host page.
 */
(function () {
  var script = document.currentScript;
  if (!script) return;
  var token = script.getAttribute('data-token');
  if (!token) return;
  var origin = new URL(script.src).origin;
  var frame = document.createElement('iframe');
  frame.src = origin + '/members/inquiries?t=' + encodeURIComponent(token);
  frame.title = 'Billing questions';
  frame.style.width = '100%';
  frame.style.border = '0';
  frame.style.height = (parseInt(script.getAttribute('data-height'), 10) || 560) + 'px';
  frame.setAttribute('referrerpolicy', 'no-referrer');
  frame.setAttribute('sandbox', 'allow-scripts allow-forms allow-same-origin');
  script.parentNode.insertBefore(frame, script.nextSibling);
})();
