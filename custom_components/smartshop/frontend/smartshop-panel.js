var q=globalThis,K=q.ShadowRoot&&(q.ShadyCSS===void 0||q.ShadyCSS.nativeShadow)&&"adoptedStyleSheets"in Document.prototype&&"replace"in CSSStyleSheet.prototype,ct=Symbol(),Mt=new WeakMap,N=class{constructor(e,t,s){if(this._$cssResult$=!0,s!==ct)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=e,this.t=t}get styleSheet(){let e=this.o,t=this.t;if(K&&e===void 0){let s=t!==void 0&&t.length===1;s&&(e=Mt.get(t)),e===void 0&&((this.o=e=new CSSStyleSheet).replaceSync(this.cssText),s&&Mt.set(t,e))}return e}toString(){return this.cssText}},Ht=r=>new N(typeof r=="string"?r:r+"",void 0,ct),$=(r,...e)=>{let t=r.length===1?r[0]:e.reduce((s,i,a)=>s+(n=>{if(n._$cssResult$===!0)return n.cssText;if(typeof n=="number")return n;throw Error("Value passed to 'css' function must be a 'css' function result: "+n+". Use 'unsafeCSS' to pass non-literal values, but take care to ensure page security.")})(i)+r[a+1],r[0]);return new N(t,r,ct)},Rt=(r,e)=>{if(K)r.adoptedStyleSheets=e.map(t=>t instanceof CSSStyleSheet?t:t.styleSheet);else for(let t of e){let s=document.createElement("style"),i=q.litNonce;i!==void 0&&s.setAttribute("nonce",i),s.textContent=t.cssText,r.appendChild(s)}},ht=K?r=>r:r=>r instanceof CSSStyleSheet?(e=>{let t="";for(let s of e.cssRules)t+=s.cssText;return Ht(t)})(r):r;var{is:we,defineProperty:Ae,getOwnPropertyDescriptor:Ee,getOwnPropertyNames:Pe,getOwnPropertySymbols:Se,getPrototypeOf:ke}=Object,G=globalThis,Lt=G.trustedTypes,Ce=Lt?Lt.emptyScript:"",Ie=G.reactiveElementPolyfillSupport,D=(r,e)=>r,pt={toAttribute(r,e){switch(e){case Boolean:r=r?Ce:null;break;case Object:case Array:r=r==null?r:JSON.stringify(r)}return r},fromAttribute(r,e){let t=r;switch(e){case Boolean:t=r!==null;break;case Number:t=r===null?null:Number(r);break;case Object:case Array:try{t=JSON.parse(r)}catch{t=null}}return t}},Dt=(r,e)=>!we(r,e),Nt={attribute:!0,type:String,converter:pt,reflect:!1,useDefault:!1,hasChanged:Dt};Symbol.metadata??=Symbol("metadata"),G.litPropertyMetadata??=new WeakMap;var A=class extends HTMLElement{static addInitializer(e){this._$Ei(),(this.l??=[]).push(e)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(e,t=Nt){if(t.state&&(t.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(e)&&((t=Object.create(t)).wrapped=!0),this.elementProperties.set(e,t),!t.noAccessor){let s=Symbol(),i=this.getPropertyDescriptor(e,s,t);i!==void 0&&Ae(this.prototype,e,i)}}static getPropertyDescriptor(e,t,s){let{get:i,set:a}=Ee(this.prototype,e)??{get(){return this[t]},set(n){this[t]=n}};return{get:i,set(n){let c=i?.call(this);a?.call(this,n),this.requestUpdate(e,c,s)},configurable:!0,enumerable:!0}}static getPropertyOptions(e){return this.elementProperties.get(e)??Nt}static _$Ei(){if(this.hasOwnProperty(D("elementProperties")))return;let e=ke(this);e.finalize(),e.l!==void 0&&(this.l=[...e.l]),this.elementProperties=new Map(e.elementProperties)}static finalize(){if(this.hasOwnProperty(D("finalized")))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(D("properties"))){let t=this.properties,s=[...Pe(t),...Se(t)];for(let i of s)this.createProperty(i,t[i])}let e=this[Symbol.metadata];if(e!==null){let t=litPropertyMetadata.get(e);if(t!==void 0)for(let[s,i]of t)this.elementProperties.set(s,i)}this._$Eh=new Map;for(let[t,s]of this.elementProperties){let i=this._$Eu(t,s);i!==void 0&&this._$Eh.set(i,t)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(e){let t=[];if(Array.isArray(e)){let s=new Set(e.flat(1/0).reverse());for(let i of s)t.unshift(ht(i))}else e!==void 0&&t.push(ht(e));return t}static _$Eu(e,t){let s=t.attribute;return s===!1?void 0:typeof s=="string"?s:typeof e=="string"?e.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(e=>this.enableUpdating=e),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(e=>e(this))}addController(e){(this._$EO??=new Set).add(e),this.renderRoot!==void 0&&this.isConnected&&e.hostConnected?.()}removeController(e){this._$EO?.delete(e)}_$E_(){let e=new Map,t=this.constructor.elementProperties;for(let s of t.keys())this.hasOwnProperty(s)&&(e.set(s,this[s]),delete this[s]);e.size>0&&(this._$Ep=e)}createRenderRoot(){let e=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return Rt(e,this.constructor.elementStyles),e}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(e=>e.hostConnected?.())}enableUpdating(e){}disconnectedCallback(){this._$EO?.forEach(e=>e.hostDisconnected?.())}attributeChangedCallback(e,t,s){this._$AK(e,s)}_$ET(e,t){let s=this.constructor.elementProperties.get(e),i=this.constructor._$Eu(e,s);if(i!==void 0&&s.reflect===!0){let a=(s.converter?.toAttribute!==void 0?s.converter:pt).toAttribute(t,s.type);this._$Em=e,a==null?this.removeAttribute(i):this.setAttribute(i,a),this._$Em=null}}_$AK(e,t){let s=this.constructor,i=s._$Eh.get(e);if(i!==void 0&&this._$Em!==i){let a=s.getPropertyOptions(i),n=typeof a.converter=="function"?{fromAttribute:a.converter}:a.converter?.fromAttribute!==void 0?a.converter:pt;this._$Em=i;let c=n.fromAttribute(t,a.type);this[i]=c??this._$Ej?.get(i)??c,this._$Em=null}}requestUpdate(e,t,s,i=!1,a){if(e!==void 0){let n=this.constructor;if(i===!1&&(a=this[e]),s??=n.getPropertyOptions(e),!((s.hasChanged??Dt)(a,t)||s.useDefault&&s.reflect&&a===this._$Ej?.get(e)&&!this.hasAttribute(n._$Eu(e,s))))return;this.C(e,t,s)}this.isUpdatePending===!1&&(this._$ES=this._$EP())}C(e,t,{useDefault:s,reflect:i,wrapped:a},n){s&&!(this._$Ej??=new Map).has(e)&&(this._$Ej.set(e,n??t??this[e]),a!==!0||n!==void 0)||(this._$AL.has(e)||(this.hasUpdated||s||(t=void 0),this._$AL.set(e,t)),i===!0&&this._$Em!==e&&(this._$Eq??=new Set).add(e))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(t){Promise.reject(t)}let e=this.scheduleUpdate();return e!=null&&await e,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[i,a]of this._$Ep)this[i]=a;this._$Ep=void 0}let s=this.constructor.elementProperties;if(s.size>0)for(let[i,a]of s){let{wrapped:n}=a,c=this[i];n!==!0||this._$AL.has(i)||c===void 0||this.C(i,void 0,a,c)}}let e=!1,t=this._$AL;try{e=this.shouldUpdate(t),e?(this.willUpdate(t),this._$EO?.forEach(s=>s.hostUpdate?.()),this.update(t)):this._$EM()}catch(s){throw e=!1,this._$EM(),s}e&&this._$AE(t)}willUpdate(e){}_$AE(e){this._$EO?.forEach(t=>t.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(e)),this.updated(e)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(e){return!0}update(e){this._$Eq&&=this._$Eq.forEach(t=>this._$ET(t,this[t])),this._$EM()}updated(e){}firstUpdated(e){}};A.elementStyles=[],A.shadowRootOptions={mode:"open"},A[D("elementProperties")]=new Map,A[D("finalized")]=new Map,Ie?.({ReactiveElement:A}),(G.reactiveElementVersions??=[]).push("2.1.2");var mt=globalThis,Ot=r=>r,Y=mt.trustedTypes,Ut=Y?Y.createPolicy("lit-html",{createHTML:r=>r}):void 0,_t="$lit$",E=`lit$${Math.random().toFixed(9).slice(2)}$`,ft="?"+E,Te=`<${ft}>`,T=document,U=()=>T.createComment(""),V=r=>r===null||typeof r!="object"&&typeof r!="function",gt=Array.isArray,Bt=r=>gt(r)||typeof r?.[Symbol.iterator]=="function",ut=`[ 	
\f\r]`,O=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,Vt=/-->/g,Wt=/>/g,C=RegExp(`>|${ut}(?:([^\\s"'>=/]+)(${ut}*=${ut}*(?:[^ 	
\f\r"'\`<>=]|("|')|))|$)`,"g"),Ft=/'/g,zt=/"/g,qt=/^(?:script|style|textarea|title)$/i,vt=r=>(e,...t)=>({_$litType$:r,strings:e,values:t}),o=vt(1),$t=vt(2),Fe=vt(3),P=Symbol.for("lit-noChange"),h=Symbol.for("lit-nothing"),jt=new WeakMap,I=T.createTreeWalker(T,129);function Kt(r,e){if(!gt(r)||!r.hasOwnProperty("raw"))throw Error("invalid template strings array");return Ut!==void 0?Ut.createHTML(e):e}var Gt=(r,e)=>{let t=r.length-1,s=[],i,a=e===2?"<svg>":e===3?"<math>":"",n=O;for(let c=0;c<t;c++){let d=r[c],p,f,l=-1,u=0;for(;u<d.length&&(n.lastIndex=u,f=n.exec(d),f!==null);)u=n.lastIndex,n===O?f[1]==="!--"?n=Vt:f[1]!==void 0?n=Wt:f[2]!==void 0?(qt.test(f[2])&&(i=RegExp("</"+f[2],"g")),n=C):f[3]!==void 0&&(n=C):n===C?f[0]===">"?(n=i??O,l=-1):f[1]===void 0?l=-2:(l=n.lastIndex-f[2].length,p=f[1],n=f[3]===void 0?C:f[3]==='"'?zt:Ft):n===zt||n===Ft?n=C:n===Vt||n===Wt?n=O:(n=C,i=void 0);let m=n===C&&r[c+1].startsWith("/>")?" ":"";a+=n===O?d+Te:l>=0?(s.push(p),d.slice(0,l)+_t+d.slice(l)+E+m):d+E+(l===-2?c:m)}return[Kt(r,a+(r[t]||"<?>")+(e===2?"</svg>":e===3?"</math>":"")),s]},W=class r{constructor({strings:e,_$litType$:t},s){let i;this.parts=[];let a=0,n=0,c=e.length-1,d=this.parts,[p,f]=Gt(e,t);if(this.el=r.createElement(p,s),I.currentNode=this.el.content,t===2||t===3){let l=this.el.content.firstChild;l.replaceWith(...l.childNodes)}for(;(i=I.nextNode())!==null&&d.length<c;){if(i.nodeType===1){if(i.hasAttributes())for(let l of i.getAttributeNames())if(l.endsWith(_t)){let u=f[n++],m=i.getAttribute(l).split(E),g=/([.?@])?(.*)/.exec(u);d.push({type:1,index:a,name:g[2],strings:m,ctor:g[1]==="."?J:g[1]==="?"?Q:g[1]==="@"?X:H}),i.removeAttribute(l)}else l.startsWith(E)&&(d.push({type:6,index:a}),i.removeAttribute(l));if(qt.test(i.tagName)){let l=i.textContent.split(E),u=l.length-1;if(u>0){i.textContent=Y?Y.emptyScript:"";for(let m=0;m<u;m++)i.append(l[m],U()),I.nextNode(),d.push({type:2,index:++a});i.append(l[u],U())}}}else if(i.nodeType===8)if(i.data===ft)d.push({type:2,index:a});else{let l=-1;for(;(l=i.data.indexOf(E,l+1))!==-1;)d.push({type:7,index:a}),l+=E.length-1}a++}}static createElement(e,t){let s=T.createElement("template");return s.innerHTML=e,s}};function M(r,e,t=r,s){if(e===P)return e;let i=s!==void 0?t._$Co?.[s]:t._$Cl,a=V(e)?void 0:e._$litDirective$;return i?.constructor!==a&&(i?._$AO?.(!1),a===void 0?i=void 0:(i=new a(r),i._$AT(r,t,s)),s!==void 0?(t._$Co??=[])[s]=i:t._$Cl=i),i!==void 0&&(e=M(r,i._$AS(r,e.values),i,s)),e}var Z=class{constructor(e,t){this._$AV=[],this._$AN=void 0,this._$AD=e,this._$AM=t}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(e){let{el:{content:t},parts:s}=this._$AD,i=(e?.creationScope??T).importNode(t,!0);I.currentNode=i;let a=I.nextNode(),n=0,c=0,d=s[0];for(;d!==void 0;){if(n===d.index){let p;d.type===2?p=new R(a,a.nextSibling,this,e):d.type===1?p=new d.ctor(a,d.name,d.strings,this,e):d.type===6&&(p=new tt(a,this,e)),this._$AV.push(p),d=s[++c]}n!==d?.index&&(a=I.nextNode(),n++)}return I.currentNode=T,i}p(e){let t=0;for(let s of this._$AV)s!==void 0&&(s.strings!==void 0?(s._$AI(e,s,t),t+=s.strings.length-2):s._$AI(e[t])),t++}},R=class r{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(e,t,s,i){this.type=2,this._$AH=h,this._$AN=void 0,this._$AA=e,this._$AB=t,this._$AM=s,this.options=i,this._$Cv=i?.isConnected??!0}get parentNode(){let e=this._$AA.parentNode,t=this._$AM;return t!==void 0&&e?.nodeType===11&&(e=t.parentNode),e}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(e,t=this){e=M(this,e,t),V(e)?e===h||e==null||e===""?(this._$AH!==h&&this._$AR(),this._$AH=h):e!==this._$AH&&e!==P&&this._(e):e._$litType$!==void 0?this.$(e):e.nodeType!==void 0?this.T(e):Bt(e)?this.k(e):this._(e)}O(e){return this._$AA.parentNode.insertBefore(e,this._$AB)}T(e){this._$AH!==e&&(this._$AR(),this._$AH=this.O(e))}_(e){this._$AH!==h&&V(this._$AH)?this._$AA.nextSibling.data=e:this.T(T.createTextNode(e)),this._$AH=e}$(e){let{values:t,_$litType$:s}=e,i=typeof s=="number"?this._$AC(e):(s.el===void 0&&(s.el=W.createElement(Kt(s.h,s.h[0]),this.options)),s);if(this._$AH?._$AD===i)this._$AH.p(t);else{let a=new Z(i,this),n=a.u(this.options);a.p(t),this.T(n),this._$AH=a}}_$AC(e){let t=jt.get(e.strings);return t===void 0&&jt.set(e.strings,t=new W(e)),t}k(e){gt(this._$AH)||(this._$AH=[],this._$AR());let t=this._$AH,s,i=0;for(let a of e)i===t.length?t.push(s=new r(this.O(U()),this.O(U()),this,this.options)):s=t[i],s._$AI(a),i++;i<t.length&&(this._$AR(s&&s._$AB.nextSibling,i),t.length=i)}_$AR(e=this._$AA.nextSibling,t){for(this._$AP?.(!1,!0,t);e!==this._$AB;){let s=Ot(e).nextSibling;Ot(e).remove(),e=s}}setConnected(e){this._$AM===void 0&&(this._$Cv=e,this._$AP?.(e))}},H=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(e,t,s,i,a){this.type=1,this._$AH=h,this._$AN=void 0,this.element=e,this.name=t,this._$AM=i,this.options=a,s.length>2||s[0]!==""||s[1]!==""?(this._$AH=Array(s.length-1).fill(new String),this.strings=s):this._$AH=h}_$AI(e,t=this,s,i){let a=this.strings,n=!1;if(a===void 0)e=M(this,e,t,0),n=!V(e)||e!==this._$AH&&e!==P,n&&(this._$AH=e);else{let c=e,d,p;for(e=a[0],d=0;d<a.length-1;d++)p=M(this,c[s+d],t,d),p===P&&(p=this._$AH[d]),n||=!V(p)||p!==this._$AH[d],p===h?e=h:e!==h&&(e+=(p??"")+a[d+1]),this._$AH[d]=p}n&&!i&&this.j(e)}j(e){e===h?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,e??"")}},J=class extends H{constructor(){super(...arguments),this.type=3}j(e){this.element[this.name]=e===h?void 0:e}},Q=class extends H{constructor(){super(...arguments),this.type=4}j(e){this.element.toggleAttribute(this.name,!!e&&e!==h)}},X=class extends H{constructor(e,t,s,i,a){super(e,t,s,i,a),this.type=5}_$AI(e,t=this){if((e=M(this,e,t,0)??h)===P)return;let s=this._$AH,i=e===h&&s!==h||e.capture!==s.capture||e.once!==s.once||e.passive!==s.passive,a=e!==h&&(s===h||i);i&&this.element.removeEventListener(this.name,this,s),a&&this.element.addEventListener(this.name,this,e),this._$AH=e}handleEvent(e){typeof this._$AH=="function"?this._$AH.call(this.options?.host??this.element,e):this._$AH.handleEvent(e)}},tt=class{constructor(e,t,s){this.element=e,this.type=6,this._$AN=void 0,this._$AM=t,this.options=s}get _$AU(){return this._$AM._$AU}_$AI(e){M(this,e)}},Yt={M:_t,P:E,A:ft,C:1,L:Gt,R:Z,D:Bt,V:M,I:R,H,N:Q,U:X,B:J,F:tt},Me=mt.litHtmlPolyfillSupport;Me?.(W,R),(mt.litHtmlVersions??=[]).push("3.3.3");var Zt=(r,e,t)=>{let s=t?.renderBefore??e,i=s._$litPart$;if(i===void 0){let a=t?.renderBefore??null;s._$litPart$=i=new R(e.insertBefore(U(),a),a,void 0,t??{})}return i._$AI(r),i};var yt=globalThis,v=class extends A{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let e=super.createRenderRoot();return this.renderOptions.renderBefore??=e.firstChild,e}update(e){let t=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(e),this._$Do=Zt(t,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return P}};v._$litElement$=!0,v.finalized=!0,yt.litElementHydrateSupport?.({LitElement:v});var He=yt.litElementPolyfillSupport;He?.({LitElement:v});(yt.litElementVersions??=[]).push("4.2.2");function et(r){let e={};for(let[t,s]of Object.entries(r))s!==void 0&&s!==""&&(e[t]=s);return e}async function Jt(r){return(await r.connection.sendMessagePromise({type:"smartshop/stores"})).stores}async function st(r,e,t){return r.connection.sendMessagePromise({type:"smartshop/incidents/list",limit:25,...et(e),...t?{cursor:t}:{}})}async function Qt(r,e){return r.connection.sendMessagePromise({type:"smartshop/incidents/get",incident_id:e})}async function Xt(r,e,t,s){let i={incident_id:e,decision:t};return s&&(i.reason=s),(await r.connection.sendMessagePromise({type:"smartshop/incidents/review",...i})).incident}async function it(r,e){return r.connection.sendMessagePromise({type:"smartshop/trends",...et(e)})}async function te(r,e){return(await r.connection.sendMessagePromise({type:"smartshop/watchlist/list",...et({store_id:e})})).people}async function ee(r,e,t){return(await r.connection.sendMessagePromise({type:"smartshop/watchlist/update",person_id:e,...t})).person}async function se(r,e){return(await r.connection.sendMessagePromise({type:"smartshop/watchlist/remove",person_id:e})).receipt}function ie(r,e,t){return r.connection.subscribeMessage(t,{type:"smartshop/subscribe_matches",...et({store_id:e})})}function y(r){return r&&typeof r=="object"&&"message"in r?String(r.message):String(r)}function re(r){return r?.locale?.language??r?.language??"en"}function ae(r){return r?.config?.time_zone||void 0}function F(r,e){if(!e)return"—";let t=new Date(e);return Number.isNaN(t.getTime())?e:new Intl.DateTimeFormat(re(r),{dateStyle:"medium",timeStyle:"short",timeZone:ae(r)}).format(t)}function z(r,e){if(!e)return"—";let t=new Date(e);return Number.isNaN(t.getTime())?e:new Intl.DateTimeFormat(re(r),{dateStyle:"medium",timeZone:ae(r)}).format(t)}function rt(r){return`${r.toFixed(1)}%`}function bt(r){return r==null?"—":r<90?`${Math.round(r)} s`:r<5400?`${Math.round(r/60)} min`:r<36*3600?`${(r/3600).toFixed(1)} h`:`${(r/86400).toFixed(1)} d`}var ne=["Mon","Tue","Wed","Thu","Fri","Sat","Sun"];function j(r){return{pending:"Waiting for review",confirmed:"Confirmed",dismissed:"Not them"}[r]??r}function oe(r){let e=new Date(r),t=s=>String(s).padStart(2,"0");return`${e.getFullYear()}-${t(e.getMonth()+1)}-${t(e.getDate())}`}var x=$`
  :host {
    display: block;
    color: var(--primary-text-color, #212121);
    font-family: var(--paper-font-body1_-_font-family, var(--ha-font-family-body, Roboto, sans-serif));
  }
  .card {
    background: var(--card-background-color, #fff);
    border: 1px solid var(--divider-color, #e0e0e0);
    border-radius: var(--ha-card-border-radius, 12px);
    padding: 16px;
    box-sizing: border-box;
    min-width: 0;
  }
  h2 {
    font-size: 1.1rem;
    font-weight: 500;
    margin: 0 0 12px;
  }
  h3 {
    font-size: 1rem;
    font-weight: 500;
    margin: 0 0 8px;
  }
  .muted {
    color: var(--secondary-text-color, #727272);
  }
  .error {
    color: var(--error-color, #db4437);
  }
  button {
    font: inherit;
    cursor: pointer;
    border-radius: 8px;
    padding: 8px 14px;
    border: 1px solid var(--divider-color, #e0e0e0);
    background: var(--card-background-color, #fff);
    color: var(--primary-text-color, #212121);
    min-height: 36px;
  }
  button.primary {
    background: var(--primary-color, #03a9f4);
    border-color: var(--primary-color, #03a9f4);
    color: var(--text-primary-color, #fff);
  }
  button.danger {
    color: var(--error-color, #db4437);
    border-color: var(--error-color, #db4437);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  input,
  select,
  textarea {
    font: inherit;
    color: var(--primary-text-color, #212121);
    background: var(--secondary-background-color, #fafafa);
    border: 1px solid var(--divider-color, #e0e0e0);
    border-radius: 6px;
    padding: 6px 8px;
    box-sizing: border-box;
    max-width: 100%;
  }
  label {
    display: flex;
    flex-direction: column;
    gap: 4px;
    font-size: 0.85rem;
    color: var(--secondary-text-color, #727272);
  }
  .photos {
    display: grid;
    grid-template-columns: 1fr 1fr;
    gap: 8px;
  }
  figure {
    margin: 0;
    min-width: 0;
  }
  figure img,
  figure .nophoto {
    width: 100%;
    aspect-ratio: 1;
    object-fit: cover;
    border-radius: 8px;
    background: var(--secondary-background-color, #f0f0f0);
    display: block;
  }
  figure .nophoto {
    display: flex;
    align-items: center;
    justify-content: center;
    font-size: 0.8rem;
    color: var(--secondary-text-color, #727272);
  }
  figcaption {
    font-size: 0.8rem;
    color: var(--secondary-text-color, #727272);
    margin-top: 4px;
  }
  .chip {
    display: inline-block;
    font-size: 0.75rem;
    padding: 2px 8px;
    border-radius: 10px;
    background: var(--secondary-background-color, #eee);
    color: var(--primary-text-color, #212121);
    white-space: nowrap;
  }
  .chip.pending {
    background: var(--warning-color, #ffa600);
    color: #000;
  }
  .chip.confirmed {
    background: var(--error-color, #db4437);
    color: #fff;
  }
  .chip.dismissed {
    background: var(--success-color, #43a047);
    color: #fff;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
    margin-top: 12px;
  }
  dl {
    display: grid;
    grid-template-columns: auto 1fr;
    gap: 2px 12px;
    margin: 8px 0 0;
    font-size: 0.9rem;
  }
  dt {
    color: var(--secondary-text-color, #727272);
  }
  dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
  table {
    width: 100%;
    border-collapse: collapse;
    font-size: 0.9rem;
  }
  th,
  td {
    text-align: left;
    padding: 6px 8px;
    border-bottom: 1px solid var(--divider-color, #e0e0e0);
  }
  th {
    font-weight: 500;
    color: var(--secondary-text-color, #727272);
  }
  .scroll {
    overflow-x: auto;
  }
`;function w(r,e){customElements.get(r)||customElements.define(r,e)}function B(r){return{incident_id:r.incident_id,snapshot_url:r.snapshot_url,reference_url:r.reference_url,similarity:r.similarity,camera:r.camera,location:r.location,store_name:r.store_name,watchlist:r.watchlist,category:r.category,seen_at:r.occurred_at,review_status:r.review_status,review_reason:r.review_reason}}function de(r){return{incident_id:r.incident_id,snapshot_url:r.snapshot_url,reference_url:r.reference_url,similarity:r.similarity,camera:r.camera,location:r.location,store_name:r.store,watchlist:r.watchlist,category:r.category,seen_at:r.seen_at,review_status:"pending",review_reason:null}}function at(r,e){return o`<figure>
    ${r?o`<img src=${r} alt=${e} loading="lazy" />`:o`<div class="nophoto">No photo kept</div>`}
    <figcaption>${e}</figcaption>
  </figure>`}var xt=class extends v{static{this.properties={hass:{attribute:!1},match:{attribute:!1},_asking:{state:!0},_reason:{state:!0},_busy:{state:!0},_error:{state:!0}}}constructor(){super(),this._asking=!1,this._reason="",this._busy=!1,this._error=""}static{this.styles=[x,$`
      .card {
        display: flex;
        flex-direction: column;
        gap: 8px;
        height: 100%;
      }
      .head {
        display: flex;
        justify-content: space-between;
        align-items: baseline;
        gap: 8px;
      }
      .similarity {
        font-size: 1.4rem;
        font-weight: 500;
      }
      textarea {
        width: 100%;
        min-height: 60px;
      }
    `]}willUpdate(e){e.has("match")&&e.get("match")?.incident_id!==this.match.incident_id&&(this._asking=!1,this._reason="",this._error="")}async _review(e){this._busy=!0,this._error="";try{let t=await Xt(this.hass,this.match.incident_id,e,e==="dismiss"?this._reason.trim():void 0);this._asking=!1,this.dispatchEvent(new CustomEvent("reviewed",{detail:t,bubbles:!0,composed:!0}))}catch(t){this._error=y(t)}finally{this._busy=!1}}_buttons(){return this.match.review_status!=="pending"?o`<div>
        <span class="chip ${this.match.review_status}">${j(this.match.review_status)}</span>
        ${this.match.review_reason?o`<span class="muted">${this.match.review_reason}</span>`:h}
      </div>`:this._asking?o`<label
          >Why is it not them?
          <textarea
            name="reason"
            .value=${this._reason}
            @input=${e=>{this._reason=e.target.value}}
          ></textarea>
        </label>
        <div class="actions">
          <button
            class="primary"
            ?disabled=${this._busy||!this._reason.trim()}
            @click=${()=>this._review("dismiss")}
          >
            Dismiss: not them
          </button>
          <button ?disabled=${this._busy} @click=${()=>this._asking=!1}>Cancel</button>
        </div>`:o`<div class="actions">
      <button class="primary" ?disabled=${this._busy} @click=${()=>this._review("confirm")}>
        Confirm
      </button>
      <button ?disabled=${this._busy} @click=${()=>this._asking=!0}>Not them</button>
    </div>`}render(){let e=this.match;return o`<div class="card" data-incident=${e.incident_id}>
      <div class="head">
        <span class="similarity">${rt(e.similarity)}</span>
        <span class="chip">${e.category}</span>
      </div>
      <div class="photos">
        ${at(e.snapshot_url,"At the door")} ${at(e.reference_url,"Watchlist photo")}
      </div>
      <dl>
        <dt>Camera</dt>
        <dd>${e.camera}</dd>
        <dt>Location</dt>
        <dd>${e.location||"—"}</dd>
        <dt>Store</dt>
        <dd>${e.store_name}</dd>
        <dt>Watchlist</dt>
        <dd>${e.watchlist}</dd>
        <dt>Seen</dt>
        <dd>${F(this.hass,e.seen_at)}</dd>
      </dl>
      ${this._buttons()} ${this._error?o`<div class="error">${this._error}</div>`:h}
    </div>`}};w("smartshop-match-card",xt);var At=["theft","banned","violence","other"],wt=class extends v{constructor(){super();this._loadedFor=null;this._request=0;this._filters={},this._rows=[],this._cursors=[null],this._next=null,this._loading=!1,this._error="",this._detail=null,this._cameras=[],this._watchlists=[]}static{this.properties={hass:{attribute:!1},storeId:{attribute:!1},_filters:{state:!0},_rows:{state:!0},_cursors:{state:!0},_next:{state:!0},_loading:{state:!0},_error:{state:!0},_detail:{state:!0},_cameras:{state:!0},_watchlists:{state:!0}}}static{this.styles=[x,$`
      .filters {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(150px, 1fr));
        gap: 8px;
        align-items: end;
        margin-bottom: 12px;
      }
      tbody tr {
        cursor: pointer;
      }
      tbody tr:hover {
        background: var(--secondary-background-color, #f5f5f5);
      }
      .pager {
        display: flex;
        align-items: center;
        justify-content: space-between;
        gap: 8px;
        margin-top: 12px;
      }
      .detail {
        margin-top: 16px;
        display: grid;
        grid-template-columns: minmax(0, 2fr) minmax(0, 3fr);
        gap: 16px;
      }
      .detail .photos {
        max-width: 480px;
      }
      .history {
        list-style: none;
        padding: 0;
        margin: 0;
      }
      .history li {
        padding: 6px 0;
        border-bottom: 1px solid var(--divider-color, #e0e0e0);
      }
      .hide-narrow {
        display: table-cell;
      }
      @media (max-width: 600px) {
        .detail {
          grid-template-columns: 1fr;
        }
        .hide-narrow {
          display: none;
        }
        .filters {
          grid-template-columns: 1fr 1fr;
        }
      }
    `]}updated(t){if((t.has("hass")||t.has("storeId"))&&this.hass){let s=this.storeId??void 0;this._loadedFor!==s&&(this._loadedFor=s,this._detail=null,this._load(null,[null]),this._loadChoices(s))}}_query(){return{...this._filters,store_id:this.storeId??void 0}}async _loadChoices(t){try{let s=await it(this.hass,{store_id:t});this._cameras=s.outcomes.camera??[],this._watchlists=s.outcomes.watchlist??[]}catch{}}async _load(t,s){let i=++this._request;this._loading=!0,this._error="";try{let a=await st(this.hass,this._query(),t);if(i!==this._request)return;this._rows=a.incidents,this._next=a.next,this._cursors=s}catch(a){i===this._request&&(this._error=y(a))}finally{i===this._request&&(this._loading=!1)}}_setFilter(t,s){let i={...this._filters};if(t==="start"||t==="end")if(s){let a=new Date(`${s}T00:00:00`);t==="end"&&a.setDate(a.getDate()+1),i[t]=a.toISOString()}else delete i[t];else s?i[t]=s:delete i[t];this._filters=i,this._detail=null,this._load(null,[null])}async _open(t){this._error="";try{this._detail=await Qt(this.hass,t.incident_id),await this.updateComplete,this.renderRoot.querySelector(".detail")?.scrollIntoView({block:"nearest"})}catch(s){this._error=y(s)}}async _reviewed(t){let s=t.detail;this._rows=this._rows.map(i=>i.incident_id===s.incident_id?{...i,...s}:i),await this._open(s)}_select(t,s,i){return o`<label
      >${s}
      <select
        name=${t}
        @change=${a=>this._setFilter(t,a.target.value)}
      >
        <option value="" ?selected=${!this._filters[t]}>All</option>
        ${i.map(a=>o`<option value=${a.value} ?selected=${this._filters[t]===a.value}>
              ${a.label}
            </option>`)}
      </select>
    </label>`}_filtersBar(){let t=["pending","confirmed","dismissed"];return o`<div class="filters">
      ${this._select("camera","Camera",this._cameras.map(s=>({value:s.key,label:s.label})))}
      ${this._select("watchlist_id","Watchlist",this._watchlists.map(s=>({value:s.key,label:s.label})))}
      ${this._select("category","Category",At.map(s=>({value:s,label:s})))}
      ${this._select("review_status","Review",t.map(s=>({value:s,label:j(s)})))}
      <label
        >From
        <input
          type="date"
          name="start"
          @change=${s=>this._setFilter("start",s.target.value)}
        />
      </label>
      <label
        >Until
        <input
          type="date"
          name="end"
          @change=${s=>this._setFilter("end",s.target.value)}
        />
      </label>
    </div>`}_table(){return this._rows.length===0?o`<p class="muted">${this._loading?"Loading…":"No incident matches these filters."}</p>`:o`<div class="scroll">
      <table>
        <thead>
          <tr>
            <th>Seen</th>
            <th>Camera</th>
            <th class="hide-narrow">Watchlist</th>
            <th class="hide-narrow">Category</th>
            <th>Similarity</th>
            <th>Review</th>
          </tr>
        </thead>
        <tbody>
          ${this._rows.map(t=>o`<tr data-incident=${t.incident_id} @click=${()=>this._open(t)}>
                <td>${F(this.hass,t.occurred_at)}</td>
                <td>${t.camera}</td>
                <td class="hide-narrow">${t.watchlist}</td>
                <td class="hide-narrow">${t.category}</td>
                <td>${rt(t.similarity)}</td>
                <td><span class="chip ${t.review_status}">${j(t.review_status)}</span></td>
              </tr>`)}
        </tbody>
      </table>
    </div>`}_pager(){let t=this._cursors.length;return o`<div class="pager">
      <button
        name="previous"
        ?disabled=${this._loading||t<=1}
        @click=${()=>{let s=this._cursors.slice(0,-1);this._load(s[s.length-1]??null,s)}}
      >
        Previous
      </button>
      <span class="muted">Page ${t}</span>
      <button
        name="next"
        ?disabled=${this._loading||!this._next}
        @click=${()=>{let s=this._next;this._load(s,[...this._cursors,s])}}
      >
        Next
      </button>
    </div>`}_detailCard(t){let s=t.incident;return o`<div class="card detail" @reviewed=${this._reviewed}>
      <smartshop-match-card .hass=${this.hass} .match=${B(s)}></smartshop-match-card>
      <div>
        <h3>Review history</h3>
        ${t.history.length===0?o`<p class="muted">Not reviewed yet.</p>`:o`<ul class="history">
              ${t.history.map(i=>o`<li>
                    <strong>${i.action}</strong> · ${F(this.hass,i.at)}
                    ${i.actor?o`<span class="muted">by ${i.actor}</span>`:h}
                    ${i.reason?o`<div>${i.reason}</div>`:h}
                  </li>`)}
            </ul>`}
        <dl>
          <dt>Incident</dt>
          <dd>${s.incident_id}</dd>
          <dt>Person</dt>
          <dd>${s.person_id||"anonymised"}</dd>
        </dl>
        <div class="actions"><button @click=${()=>this._detail=null}>Close</button></div>
      </div>
    </div>`}render(){return o`<div class="card">
        <h2>Incidents</h2>
        ${this._filtersBar()} ${this._error?o`<p class="error">${this._error}</p>`:h}
        ${this._table()} ${this._pager()}
      </div>
      ${this._detail?this._detailCard(this._detail):h}`}};w("smartshop-incidents-view",wt);var le={ATTRIBUTE:1,CHILD:2,PROPERTY:3,BOOLEAN_ATTRIBUTE:4,EVENT:5,ELEMENT:6},ce=r=>(...e)=>({_$litDirective$:r,values:e}),nt=class{constructor(e){}get _$AU(){return this._$AM._$AU}_$AT(e,t,s){this._$Ct=e,this._$AM=t,this._$Ci=s}_$AS(e,t){return this.update(e,t)}update(e,t){return this.render(...t)}};var{I:Re}=Yt,he=r=>r;var pe=()=>document.createComment(""),L=(r,e,t)=>{let s=r._$AA.parentNode,i=e===void 0?r._$AB:e._$AA;if(t===void 0){let a=s.insertBefore(pe(),i),n=s.insertBefore(pe(),i);t=new Re(a,n,r,r.options)}else{let a=t._$AB.nextSibling,n=t._$AM,c=n!==r;if(c){let d;t._$AQ?.(r),t._$AM=r,t._$AP!==void 0&&(d=r._$AU)!==n._$AU&&t._$AP(d)}if(a!==i||c){let d=t._$AA;for(;d!==a;){let p=he(d).nextSibling;he(s).insertBefore(d,i),d=p}}}return t},S=(r,e,t=r)=>(r._$AI(e,t),r),Le={},ue=(r,e=Le)=>r._$AH=e,me=r=>r._$AH,ot=r=>{r._$AR(),r._$AA.remove()};var _e=(r,e,t)=>{let s=new Map;for(let i=e;i<=t;i++)s.set(r[i],i);return s},fe=ce(class extends nt{constructor(r){if(super(r),r.type!==le.CHILD)throw Error("repeat() can only be used in text expressions")}dt(r,e,t){let s;t===void 0?t=e:e!==void 0&&(s=e);let i=[],a=[],n=0;for(let c of r)i[n]=s?s(c,n):n,a[n]=t(c,n),n++;return{values:a,keys:i}}render(r,e,t){return this.dt(r,e,t).values}update(r,[e,t,s]){let i=me(r),{values:a,keys:n}=this.dt(e,t,s);if(!Array.isArray(i))return this.ut=n,a;let c=this.ut??=[],d=[],p,f,l=0,u=i.length-1,m=0,g=a.length-1;for(;l<=u&&m<=g;)if(i[l]===null)l++;else if(i[u]===null)u--;else if(c[l]===n[m])d[m]=S(i[l],a[m]),l++,m++;else if(c[u]===n[g])d[g]=S(i[u],a[g]),u--,g--;else if(c[l]===n[g])d[g]=S(i[l],a[g]),L(r,d[g+1],i[l]),l++,g--;else if(c[u]===n[m])d[m]=S(i[u],a[m]),L(r,i[l],i[u]),u--,m++;else if(p===void 0&&(p=_e(n,m,g),f=_e(c,l,u)),p.has(c[l]))if(p.has(c[u])){let _=f.get(n[m]),b=_!==void 0?i[_]:null;if(b===null){let k=L(r,i[l]);S(k,a[m]),d[m]=k}else d[m]=S(b,a[m]),L(r,i[l],b),i[_]=null;m++}else ot(i[u]),u--;else ot(i[l]),l++;for(;m<=g;){let _=L(r,d[g+1]);S(_,a[m]),d[m++]=_}for(;l<=u;){let _=i[l++];_!==null&&ot(_)}return this.ut=n,ue(r,d),P}});var ge=30,Et=class extends v{constructor(){super();this._unsubscribe=null;this._subscribedFor=null;this._matches=[],this._connected=!1,this._error=""}static{this.properties={hass:{attribute:!1},storeId:{attribute:!1},_matches:{state:!0},_connected:{state:!0},_error:{state:!0}}}static{this.styles=[x,$`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(300px, 1fr));
        gap: 16px;
      }
      .status {
        display: flex;
        align-items: center;
        gap: 8px;
        margin-bottom: 12px;
      }
      .dot {
        width: 10px;
        height: 10px;
        border-radius: 50%;
        background: var(--disabled-text-color, #bdbdbd);
      }
      .dot.on {
        background: var(--success-color, #43a047);
      }
      smartshop-match-card.new {
        animation: arrive 1.2s ease-out;
      }
      @keyframes arrive {
        from {
          box-shadow: 0 0 0 4px var(--primary-color, #03a9f4);
        }
      }
      @media (max-width: 600px) {
        .grid {
          grid-template-columns: 1fr;
        }
      }
    `]}connectedCallback(){super.connectedCallback(),this.hass&&this._start()}disconnectedCallback(){super.disconnectedCallback(),this._stop()}updated(t){(t.has("hass")||t.has("storeId"))&&this.hass&&this.isConnected&&this._subscribedFor!==(this.storeId??void 0)&&this._start()}_stop(){let t=this._unsubscribe;this._unsubscribe=null,this._subscribedFor=null,this._connected=!1,t?.then(s=>s()).catch(()=>{})}_start(){this._stop();let t=this.storeId??void 0;this._subscribedFor=t,this._error="",this._unsubscribe=ie(this.hass,t,s=>this._arrived(s)),this._unsubscribe.then(()=>{this._subscribedFor===t&&(this._connected=!0)},s=>{this._error=y(s)}),this._loadPending(t)}async _loadPending(t){try{let s=await st(this.hass,{store_id:t,review_status:"pending"},null);if(this._subscribedFor!==t)return;let i=new Set(this._matches.map(n=>n.incident_id)),a=s.incidents.filter(n=>!i.has(n.incident_id));this._matches=[...this._matches,...a.map(B)].slice(0,ge)}catch(s){this._error=y(s)}}_arrived(t){let s=this._matches.filter(i=>i.incident_id!==t.incident_id);this._matches=[de(t),...s].slice(0,ge)}_reviewed(t){let s=B(t.detail);this._matches=this._matches.map(i=>i.incident_id===s.incident_id?{...i,review_status:s.review_status,review_reason:s.review_reason}:i)}render(){return o`<div class="status">
        <span class="dot ${this._connected?"on":""}"></span>
        <span class="muted"
          >${this._connected?"Listening for matches":"Connecting…"}</span
        >
      </div>
      ${this._error?o`<p class="error">${this._error}</p>`:h}
      ${this._matches.length===0?o`<div class="card muted">No match waiting for review. New matches appear here.</div>`:o`<div class="grid" @reviewed=${this._reviewed}>
            ${fe(this._matches,t=>t.incident_id,t=>o`<smartshop-match-card
                  .hass=${this.hass}
                  .match=${t}
                ></smartshop-match-card>`)}
          </div>`}`}};w("smartshop-live-view",Et);var dt=["var(--primary-color, #03a9f4)","var(--accent-color, #ff9800)","#8e24aa","#43a047","#e53935","#6d4c41","#00897b","#3949ab"],Pt=class extends v{constructor(){super();this._loadedFor=null;this._trends=null,this._by="camera",this._error=""}static{this.properties={hass:{attribute:!1},storeId:{attribute:!1},_trends:{state:!0},_by:{state:!0},_error:{state:!0}}}static{this.styles=[x,$`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(320px, 1fr));
        gap: 16px;
      }
      .wide {
        grid-column: 1 / -1;
      }
      .heatmap {
        display: grid;
        grid-template-columns: 2.5em repeat(24, minmax(0, 1fr));
        gap: 2px;
        font-size: 0.7rem;
      }
      .heatmap .cell {
        aspect-ratio: 1.6;
        border-radius: 2px;
        background: var(--secondary-background-color, #f0f0f0);
      }
      .heatmap .hour,
      .heatmap .weekday {
        color: var(--secondary-text-color, #727272);
        text-align: center;
        overflow: hidden;
      }
      .heatmap .weekday {
        text-align: left;
      }
      svg {
        width: 100%;
        height: auto;
        max-height: 240px;
        display: block;
      }
      svg text {
        fill: var(--secondary-text-color, #727272);
        font-size: 10px;
      }
      .legend {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 12px;
        font-size: 0.8rem;
        margin-top: 8px;
      }
      .swatch {
        display: inline-block;
        width: 10px;
        height: 10px;
        border-radius: 2px;
        margin-right: 4px;
      }
      .bar {
        display: flex;
        height: 10px;
        border-radius: 5px;
        overflow: hidden;
        background: var(--secondary-background-color, #f0f0f0);
        min-width: 60px;
      }
      .bar .confirmed {
        background: var(--error-color, #db4437);
      }
      .bar .dismissed {
        background: var(--success-color, #43a047);
      }
      .bar .pending {
        background: var(--warning-color, #ffa600);
      }
      .figures {
        display: flex;
        gap: 24px;
        flex-wrap: wrap;
      }
      .figure strong {
        display: block;
        font-size: 1.6rem;
        font-weight: 500;
      }
      .head {
        display: flex;
        justify-content: space-between;
        align-items: baseline;
        gap: 8px;
        flex-wrap: wrap;
      }
      @media (max-width: 600px) {
        .heatmap .hour:not(.every6) {
          visibility: hidden;
        }
      }
    `]}updated(t){if((t.has("hass")||t.has("storeId"))&&this.hass){let s=this.storeId??void 0;this._loadedFor!==s&&(this._loadedFor=s,this._load(s))}}async _load(t){this._error="";try{let s=await it(this.hass,{store_id:t});this._loadedFor===t&&(this._trends=s)}catch(s){this._error=y(s)}}_heatmap(t){let s=new Map(t.heatmap.map(n=>[`${n.weekday}:${n.hour}`,n.count])),i=Math.max(1,...t.heatmap.map(n=>n.count)),a=Array.from({length:24},(n,c)=>c);return o`<div class="card wide">
      <h3>When: weekday × hour (shop time)</h3>
      <div class="heatmap" role="grid" aria-label="Incidents by weekday and hour">
        <span></span>
        ${a.map(n=>o`<span class="hour ${n%6===0?"every6":""}">${n}</span>`)}
        ${ne.map((n,c)=>o`<span class="weekday">${n}</span>
            ${a.map(d=>{let p=s.get(`${c+1}:${d}`)??0,f=Math.round(100*p/i),l=p?`background: color-mix(in srgb, var(--primary-color, #03a9f4) ${Math.max(f,12)}%, transparent)`:"";return o`<span
                class="cell"
                role="gridcell"
                data-count=${p}
                title="${n} ${d}:00 — ${p} incident${p===1?"":"s"}"
                style=${l}
              ></span>`})}`)}
      </div>
    </div>`}_weekly(t){let s=t.weekly[this._by]??[],i=[...new Set(s.map(_=>_.week))].sort(),a=[...new Set(s.map(_=>_.key))],n=new Map(s.map(_=>[_.key,_.label])),c=i.map(_=>s.filter(b=>b.week===_).reduce((b,k)=>b+k.count,0)),d=Math.max(1,...c),p=800,f=200,l=20,u=i.length?p/i.length:p,m=Math.max(4,Math.min(48,u*.7)),g=i.flatMap((_,b)=>{let k=f-l,$e=b*u+(u-m)/2,ye=a.map((Ct,xe)=>{let lt=s.find(Tt=>Tt.week===_&&Tt.key===Ct)?.count??0,It=(f-l-10)*lt/d;return k-=It,lt?$t`<rect x=${$e} y=${k} width=${m} height=${It}
              fill=${dt[xe%dt.length]}><title>${_} · ${n.get(Ct)}: ${lt}</title></rect>`:h}),be=i.length<=12||b%Math.ceil(i.length/12)===0;return[...ye,be?$t`<text x=${b*u+u/2} y=${f-6} text-anchor="middle">${_.slice(5)}</text>`:h]});return o`<div class="card wide">
      <div class="head">
        <h3>Week by week</h3>
        <label
          >By
          <select
            name="weekly-by"
            @change=${_=>{this._by=_.target.value}}
          >
            ${["store","camera","category"].map(_=>o`<option value=${_} ?selected=${_===this._by}>${_}</option>`)}
          </select>
        </label>
      </div>
      ${i.length===0?o`<p class="muted">No incidents yet.</p>`:o`<svg viewBox="0 0 ${p} ${f}" role="img" aria-label="Incidents per week">
              <line
                x1="0"
                x2=${p}
                y1=${f-l}
                y2=${f-l}
                stroke="var(--divider-color, #e0e0e0)"
              ></line>
              ${g}
            </svg>
            <div class="legend">
              ${a.map((_,b)=>o`<span
                    ><span class="swatch" style="background: ${dt[b%dt.length]}"></span
                    >${n.get(_)}</span
                  >`)}
            </div>`}
    </div>`}_outcomes(t,s){return o`<div class="card">
      <h3>${t}</h3>
      ${s.length===0?o`<p class="muted">No reviews yet.</p>`:o`<table>
            <thead>
              <tr>
                <th></th>
                <th>Confirmed</th>
                <th>Not them</th>
                <th>Waiting</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              ${s.map(i=>{let a=Math.max(1,i.confirmed+i.dismissed+i.pending);return o`<tr>
                  <td>${i.label}</td>
                  <td>${i.confirmed}</td>
                  <td>${i.dismissed}</td>
                  <td>${i.pending}</td>
                  <td>
                    <div class="bar">
                      <span class="confirmed" style="width: ${100*i.confirmed/a}%"></span>
                      <span class="dismissed" style="width: ${100*i.dismissed/a}%"></span>
                      <span class="pending" style="width: ${100*i.pending/a}%"></span>
                    </div>
                  </td>
                </tr>`})}
            </tbody>
          </table>`}
    </div>`}_repeatVisitors(t){return o`<div class="card">
      <h3>Repeat visitors</h3>
      ${t.repeat_visitors.length===0?o`<p class="muted">Nobody seen on more than one day or camera.</p>`:o`<div class="scroll">
            <table>
              <thead>
                <tr>
                  <th>Person</th>
                  <th>Visits</th>
                  <th>Days</th>
                  <th>Cameras</th>
                  <th>Last seen</th>
                </tr>
              </thead>
              <tbody>
                ${t.repeat_visitors.map(s=>o`<tr>
                      <td title=${s.person_id}>${s.person_id.slice(0,8)}</td>
                      <td>${s.visits}</td>
                      <td>${s.days}</td>
                      <td>${s.cameras}</td>
                      <td>${z(this.hass,s.last_seen)}</td>
                    </tr>`)}
              </tbody>
            </table>
          </div>`}
    </div>`}_reviewTimes(t){let s=t.review_times;return o`<div class="card">
      <h3>Time to review</h3>
      <div class="figures">
        <div class="figure"><strong>${bt(s.median_seconds)}</strong>median</div>
        <div class="figure"><strong>${bt(s.p90_seconds)}</strong>90% within</div>
        <div class="figure"><strong>${s.count}</strong>reviewed</div>
      </div>
    </div>`}render(){if(this._error)return o`<p class="error">${this._error}</p>`;let t=this._trends;return t?o`<div class="grid">
      ${this._heatmap(t)} ${this._weekly(t)} ${this._repeatVisitors(t)}
      ${this._reviewTimes(t)}
      ${this._outcomes("Confirmed vs not them, per watchlist",t.outcomes.watchlist??[])}
      ${this._outcomes("Confirmed vs not them, per camera",t.outcomes.camera??[])}
    </div>`:o`<p class="muted">Loading…</p>`}};w("smartshop-trends-view",Pt);var Ne=14,St=class extends v{constructor(){super();this._loadedFor=null;this._people=null,this._editing=null,this._draft={},this._busy=!1,this._error="",this._receipt=null}static{this.properties={hass:{attribute:!1},storeId:{attribute:!1},_people:{state:!0},_editing:{state:!0},_draft:{state:!0},_busy:{state:!0},_error:{state:!0},_receipt:{state:!0}}}static{this.styles=[x,$`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(min(100%, 380px), 1fr));
        gap: 16px;
      }
      .person {
        display: grid;
        grid-template-columns: 96px minmax(0, 1fr);
        gap: 12px;
        align-items: start;
      }
      .person figure img,
      .person figure .nophoto {
        width: 96px;
      }
      .name {
        font-weight: 500;
        overflow-wrap: anywhere;
      }
      .flags {
        display: flex;
        gap: 4px;
        flex-wrap: wrap;
        margin-top: 4px;
      }
      .chip.due {
        background: var(--warning-color, #ffa600);
        color: #000;
      }
      .form {
        grid-column: 1 / -1;
        display: flex;
        flex-direction: column;
        gap: 8px;
      }
      .receipt {
        border-color: var(--primary-color, #03a9f4);
        margin-bottom: 16px;
      }
      pre {
        white-space: pre-wrap;
        overflow-wrap: anywhere;
        font-size: 0.8rem;
        margin: 0;
      }
    `]}updated(t){if((t.has("hass")||t.has("storeId"))&&this.hass){let s=this.storeId??void 0;this._loadedFor!==s&&(this._loadedFor=s,this._load())}}get _admin(){return!!this.hass?.user?.is_admin}async _load(){let t=this.storeId??void 0;try{let s=await te(this.hass,t);this._loadedFor===t&&(this._people=s)}catch(s){this._error=y(s)}}_start(t,s){this._editing={personId:t.person_id,mode:s},this._error="",this._draft=s==="edit"?{category:t.category,reason:t.reason}:s==="extend"?{expires_at:t.expires_at}:{}}async _save(t){this._busy=!0,this._error="";try{if(this._editing?.mode==="remove"){let s=await se(this.hass,t.person_id);this._receipt={name:t.display_name,receipt:s},this._people=(this._people??[]).filter(i=>i.person_id!==t.person_id)}else{let s=await ee(this.hass,t.person_id,this._draft);this._people=(this._people??[]).map(i=>i.person_id===t.person_id?{...i,...s}:i)}this._editing=null}catch(s){this._error=y(s)}finally{this._busy=!1}}_form(t){let s=this._editing?.mode,i=o`<div class="actions">
      <button
        class=${s==="remove"?"danger":"primary"}
        name="save"
        ?disabled=${this._busy}
        @click=${()=>this._save(t)}
      >
        ${s==="remove"?"Remove and erase":"Save"}
      </button>
      <button ?disabled=${this._busy} @click=${()=>this._editing=null}>Cancel</button>
    </div>`;return s==="remove"?o`<div class="form">
        <p>
          Remove ${t.display_name} from the watchlist? Their photos, incidents and snapshots are
          erased; you get a receipt.
        </p>
        ${i}
      </div>`:s==="extend"?o`<div class="form">
        <label
          >Keep until
          <input
            type="date"
            name="expires"
            .value=${oe(this._draft.expires_at??t.expires_at)}
            @change=${a=>{let n=a.target.value;n&&(this._draft={expires_at:new Date(`${n}T23:59:00`).toISOString()})}}
          />
        </label>
        ${i}
      </div>`:o`<div class="form">
      <label
        >Category
        <select
          name="category"
          @change=${a=>{this._draft={...this._draft,category:a.target.value}}}
        >
          ${At.map(a=>o`<option value=${a} ?selected=${a===this._draft.category}>
                ${a}
              </option>`)}
        </select>
      </label>
      <label
        >Reason
        <textarea
          name="reason"
          .value=${this._draft.reason??""}
          @input=${a=>{this._draft={...this._draft,reason:a.target.value}}}
        ></textarea>
      </label>
      ${i}
    </div>`}_person(t){let s=Date.now(),i=new Date(t.expires_at).getTime(),a=new Date(t.review_at).getTime()<=s,n=i-s<=Ne*864e5,c=this._editing?.personId===t.person_id;return o`<div class="card person" data-person=${t.person_id}>
      ${at(t.reference_url,"Reference")}
      <div>
        <div class="name">${t.display_name}</div>
        <div class="muted">${t.watchlist} · ${t.store_name}</div>
        <div class="flags">
          <span class="chip">${t.category}</span>
          ${a?o`<span class="chip due">Review due</span>`:h}
          ${n?o`<span class="chip due">Expires soon</span>`:h}
        </div>
        <dl>
          <dt>Reason</dt>
          <dd>${t.reason||"—"}</dd>
          <dt>Reference</dt>
          <dd>${t.incident_reference||"—"}</dd>
          <dt>Expires</dt>
          <dd>${z(this.hass,t.expires_at)}</dd>
          <dt>Review by</dt>
          <dd>${z(this.hass,t.review_at)}</dd>
        </dl>
        ${this._admin&&!c?o`<div class="actions">
              <button name="edit" @click=${()=>this._start(t,"edit")}>Edit</button>
              <button name="extend" @click=${()=>this._start(t,"extend")}>Extend</button>
              <button name="remove" class="danger" @click=${()=>this._start(t,"remove")}>
                Remove
              </button>
            </div>`:h}
      </div>
      ${c?this._form(t):h}
    </div>`}render(){return o`${this._receipt?o`<div class="card receipt">
            <h3>Erasure receipt: ${this._receipt.name}</h3>
            <pre>${JSON.stringify(this._receipt.receipt,null,2)}</pre>
            <div class="actions"><button @click=${()=>this._receipt=null}>Done</button></div>
          </div>`:h}
      ${this._error?o`<p class="error">${this._error}</p>`:h}
      ${this._people===null?o`<p class="muted">Loading…</p>`:this._people.length===0?o`<div class="card muted">Nobody is on a watchlist here.</div>`:o`<div class="grid">${this._people.map(t=>this._person(t))}</div>`}`}};w("smartshop-watchlist-view",St);var ve=[{path:"live",label:"Live"},{path:"incidents",label:"Incidents"},{path:"trends",label:"Trends"},{path:"watchlist",label:"Watchlist"}];function De(r){let e=(r?.path??"").split("/").filter(Boolean)[0];return ve.find(t=>t.path===e)?.path??"live"}var kt=class extends v{constructor(){super();this._storesLoaded=!1;this.narrow=!1,this._view="live",this._stores=[],this._storeId=void 0,this._error=""}static{this.properties={hass:{attribute:!1},narrow:{type:Boolean},route:{attribute:!1},panel:{attribute:!1},_view:{state:!0},_stores:{state:!0},_storeId:{state:!0},_error:{state:!0}}}static{this.styles=[x,$`
      :host {
        background: var(--primary-background-color, #fafafa);
        min-height: 100vh;
      }
      .top {
        position: sticky;
        top: 0;
        z-index: 2;
        background: var(--app-header-background-color, var(--primary-color, #03a9f4));
        color: var(--app-header-text-color, var(--text-primary-color, #fff));
        border-bottom: var(--app-header-border-bottom, none);
      }
      header {
        display: flex;
        align-items: center;
        gap: 8px;
        height: var(--header-height, 56px);
        padding: 0 12px;
      }
      header h1 {
        font-size: 1.25rem;
        font-weight: 400;
        margin: 0;
        flex: 1;
      }
      .menu {
        background: none;
        border: none;
        color: inherit;
        font-size: 1.5rem;
        padding: 4px 8px;
        min-height: 0;
      }
      nav {
        display: flex;
        gap: 4px;
        padding: 0 12px;
        overflow-x: auto;
      }
      nav a {
        color: var(--app-header-text-color, var(--text-primary-color, #fff));
        opacity: 0.75;
        text-decoration: none;
        padding: 10px 12px;
        border-bottom: 2px solid transparent;
        white-space: nowrap;
      }
      nav a[aria-current="page"] {
        opacity: 1;
        border-bottom-color: currentColor;
      }
      main {
        padding: 16px;
        max-width: 1400px;
        margin: 0 auto;
      }
      .stores {
        display: flex;
        gap: 8px;
        overflow-x: auto;
        margin-bottom: 16px;
        padding-bottom: 4px;
      }
      .store {
        text-align: left;
        flex: 0 0 auto;
        min-width: 150px;
        display: flex;
        flex-direction: column;
        gap: 2px;
        background: var(--card-background-color, #fff);
      }
      .store[aria-pressed="true"] {
        border-color: var(--primary-color, #03a9f4);
        box-shadow: inset 0 0 0 1px var(--primary-color, #03a9f4);
      }
      .store .totals {
        font-size: 0.8rem;
        color: var(--secondary-text-color, #727272);
      }
      @media (max-width: 600px) {
        main {
          padding: 8px;
        }
        .store {
          min-width: 120px;
        }
      }
    `]}willUpdate(t){t.has("route")&&(this._view=De(this.route))}updated(t){t.has("hass")&&this.hass&&!this._storesLoaded&&(this._storesLoaded=!0,this._loadStores())}async _loadStores(){try{this._stores=await Jt(this.hass)}catch(t){this._error=y(t)}}_navigate(t,s){t.preventDefault(),this._view=s;let i=this.route?.prefix??"/smartshop";history.pushState(null,"",`${i}/${s}`),window.dispatchEvent(new CustomEvent("location-changed",{detail:{replace:!1}}))}_toggleMenu(){this.dispatchEvent(new CustomEvent("hass-toggle-menu",{bubbles:!0,composed:!0}))}_selectStore(t){this._storeId=t,this._loadStores()}_storeBar(){if(this._stores.length===0)return h;let t=this._stores.reduce((i,a)=>({total:i.total+a.total,pending:i.pending+a.pending}),{total:0,pending:0}),s=(i,a,n,c)=>o`<button
      class="store"
      data-store=${i??""}
      aria-pressed=${this._storeId===i?"true":"false"}
      @click=${()=>this._selectStore(i)}
    >
      <span>${a}</span>
      <span class="totals">${n} incidents · ${c} waiting</span>
    </button>`;return o`<div class="stores" role="group" aria-label="Store">
      ${this._stores.length>1?s(void 0,"All stores",t.total,t.pending):h}
      ${this._stores.map(i=>s(i.store_id,i.store_name,i.total,i.pending))}
    </div>`}_content(){let t=this._storeId;switch(this._view){case"incidents":return o`<smartshop-incidents-view
          .hass=${this.hass}
          .storeId=${t}
        ></smartshop-incidents-view>`;case"trends":return o`<smartshop-trends-view .hass=${this.hass} .storeId=${t}></smartshop-trends-view>`;case"watchlist":return o`<smartshop-watchlist-view
          .hass=${this.hass}
          .storeId=${t}
        ></smartshop-watchlist-view>`;default:return o`<smartshop-live-view .hass=${this.hass} .storeId=${t}></smartshop-live-view>`}}render(){let t=this.route?.prefix??"/smartshop";return o`<div class="top">
        <header>
        ${this.narrow?o`<button class="menu" aria-label="Menu" @click=${this._toggleMenu}>☰</button>`:h}
        <h1>SmartShop</h1>
      </header>
      <nav>
        ${ve.map(s=>o`<a
              href="${t}/${s.path}"
              aria-current=${s.path===this._view?"page":"false"}
              @click=${i=>this._navigate(i,s.path)}
              >${s.label}</a
            >`)}
        </nav>
      </div>
      <main>
        ${this._error?o`<p class="error">${this._error}</p>`:h} ${this._storeBar()}
        ${this.hass?this._content():h}
      </main>`}};w("smartshop-panel",kt);export{kt as SmartShopPanel};
